namespace KvmStor.Backends.Zfs;

/// <summary>
/// Where a zvol's device node really is: the volume's path is always /dev/zvol/&lt;dataset&gt;/&lt;vol&gt; (what
/// libvirt reports and guests use), and I/O opens it under the configured device root — /dev on a host, a scratch
/// directory with regular files standing in for the zvols in tests.
/// </summary>
public sealed class ZvolDevices(string? devRoot = null)
{
    public const string DefaultRoot = "/dev";

    private readonly string _root = (devRoot ?? DefaultRoot).TrimEnd('/');

    /// <summary>The node to open for a /dev/… path; any other path is taken as it is.</summary>
    public string Locate(string path) =>
        path.StartsWith(DefaultRoot + "/", StringComparison.Ordinal) ? _root + path[DefaultRoot.Length..] : path;
}
