namespace KvmStor.Host;

/// <summary>
/// Where the kernel's sysfs and devfs are mounted (normally /sys and /dev). Code that reads SCSI hosts, LUNs, iSCSI
/// sessions or device-mapper nodes takes one so tests can replay a recorded tree under a temporary directory. Paths
/// that are reported (volume paths, error texts) keep their /sys and /dev names; only file access goes through
/// <see cref="OnHost"/>.
/// </summary>
public sealed record HostRoots(string Sys = "/sys", string Dev = "/dev")
{
    public static HostRoots System { get; } = new();

    /// <summary>A path under /sys, e.g. SysPath("class/scsi_host").</summary>
    public string SysPath(string relative) => Path.Combine(Sys, relative);

    /// <summary>The file behind an absolute /sys/… or /dev/… path on this host; other paths are returned unchanged.</summary>
    public string OnHost(string path) => Under(path, "/sys", Sys) ?? Under(path, "/dev", Dev) ?? path;

    private static string? Under(string path, string prefix, string root) =>
        path == prefix ? root
        : path.StartsWith(prefix + "/", StringComparison.Ordinal) ? (root == prefix ? path : root.TrimEnd('/') + path[prefix.Length..])
        : null;
}
