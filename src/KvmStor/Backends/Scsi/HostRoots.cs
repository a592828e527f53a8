namespace KvmStor.Backends.Scsi;

/// <summary>
/// Where the kernel's sysfs and devfs are mounted (normally /sys and /dev). Backends that read SCSI hosts, LUNs or
/// device-mapper nodes take one so tests can replay a recorded tree under a temporary directory. Volume paths keep
/// their /dev/... names (what the user and guests see); only file access goes through <see cref="OnHost"/>.
/// </summary>
public sealed record HostRoots(string Sys = "/sys", string Dev = "/dev")
{
    public static HostRoots System { get; } = new();

    /// <summary>A path under /sys, e.g. SysPath("class/scsi_host").</summary>
    public string SysPath(string relative) => Path.Combine(Sys, relative);

    /// <summary>The file behind a /dev/... path on this host (itself when the roots are the real ones).</summary>
    public string OnHost(string devPath)
    {
        if (Dev == "/dev" || !IsUnderDev(devPath)) return devPath;
        return devPath == "/dev" ? Dev : Path.Combine(Dev, devPath["/dev/".Length..]);
    }

    /// <summary>The /dev/... name of a file under the dev root (the inverse of <see cref="OnHost"/>).</summary>
    public string AsDevPath(string hostPath)
    {
        if (Dev == "/dev") return hostPath;
        string root = Dev.TrimEnd('/');
        if (hostPath == root) return "/dev";
        return hostPath.StartsWith(root + "/", StringComparison.Ordinal) ? "/dev/" + hostPath[(root.Length + 1)..] : hostPath;
    }

    private static bool IsUnderDev(string path) => path == "/dev" || path.StartsWith("/dev/", StringComparison.Ordinal);
}
