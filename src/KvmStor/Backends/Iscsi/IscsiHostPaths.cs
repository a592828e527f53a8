using KvmStor.Host;

namespace KvmStor.Backends.Iscsi;

/// <summary>
/// Where the kernel-initiator backend finds sysfs, /dev and open-iscsi's node records. Tests point these at a
/// recorded tree; the paths the backend reports (volume paths, error texts) stay the kernel's /sys and /dev names.
/// </summary>
public sealed record IscsiHostPaths(string SysfsRoot, string DevRoot, string NodesDirectory)
{
    /// <summary>This host: /sys, /dev, and the node database of Debian (/etc/iscsi) or Fedora/RHEL (/var/lib/iscsi).</summary>
    public static IscsiHostPaths System =>
        new("/sys", "/dev", new[] { "/etc/iscsi/nodes", "/var/lib/iscsi/nodes" }.FirstOrDefault(Directory.Exists) ?? "/etc/iscsi/nodes");

    /// <summary>The sysfs and devfs roots, as every sysfs reader of the project takes them.</summary>
    public HostRoots Roots => new(SysfsRoot, DevRoot);
}
