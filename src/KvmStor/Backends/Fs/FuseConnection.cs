using KvmStor.Host;

namespace KvmStor.Backends.Fs;

/// <summary>
/// The kernel's control of one FUSE mount (fusectl, /sys/fs/fuse/connections/&lt;device number&gt;/abort). Aborting
/// it fails every request the FUSE daemon has not answered, at once and for every process: the one way to free a
/// thread stuck in a FUSE read or write, which neither a signal nor a thread interrupt can end. The mount then
/// answers ENOTCONN until it is unmounted.
/// </summary>
/// <param name="mountInfoPath">/proc/self/mountinfo (tests give a file): it names each mount's device without touching it.</param>
/// <param name="connectionsPath">Where fusectl is (or will be) mounted.</param>
public sealed partial class FuseConnection(string? mountInfoPath = null, string? connectionsPath = null)
{
    public const string DefaultMountInfoPath = "/proc/self/mountinfo";
    public const string DefaultConnectionsPath = "/sys/fs/fuse/connections";

    private string MountInfoPath => mountInfoPath ?? DefaultMountInfoPath;
    private string ConnectionsPath => connectionsPath ?? DefaultConnectionsPath;

    /// <summary>
    /// The connection's name: the mount's device number as the kernel encodes it (major &lt;&lt; 20 | minor; FUSE
    /// mounts have major 0, so it is the minor). Read from mountinfo rather than stat: a stat of the mount point
    /// itself waits on the daemon. Null when <paramref name="mountPoint"/> is no FUSE mount.
    /// </summary>
    public string? ConnectionOf(string mountPoint)
    {
        string? found = null;
        foreach (var line in ReadMountInfo())
        {
            // id parent major:minor root mountpoint options [optional fields] - fstype source superoptions
            var fields = line.Split(' ');
            int separator = Array.IndexOf(fields, "-");
            if (fields.Length < 5 || separator < 0 || separator + 1 >= fields.Length) continue;
            if (MountTable.Unescape(fields[4]) != mountPoint) continue;
            string type = fields[separator + 1];
            if (type != "fuse" && !type.StartsWith("fuse.", StringComparison.Ordinal)) { found = null; continue; }
            var numbers = fields[2].Split(':');
            if (numbers.Length != 2 || !uint.TryParse(numbers[0], out uint major) || !uint.TryParse(numbers[1], out uint minor)) continue;
            found = ((major << 20) | minor).ToString(System.Globalization.CultureInfo.InvariantCulture); // the last mount on a path wins
        }
        return found;
    }

    /// <summary>Aborts the FUSE connection of <paramref name="mountPoint"/>; false when it is no FUSE mount or cannot be aborted.</summary>
    public bool TryAbort(string mountPoint)
    {
        string? connection = ConnectionOf(mountPoint);
        if (connection is null) return false;
        string abort = Path.Combine(ConnectionsPath, connection, "abort");
        // fusectl is not mounted on every host (Debian mounts it through systemd, containers often do not). By the
        // system call, not mount(8): mount(8) looks at the other mounts, and waits on the very mount that hangs.
        if (!File.Exists(abort) && ConnectionsPath == DefaultConnectionsPath && !IsFusectlMounted())
            Libc.mount("fusectl", ConnectionsPath, "fusectl", 0, IntPtr.Zero);
        try
        {
            using var control = new FileStream(abort, FileMode.Open, FileAccess.Write);
            control.Write("1"u8);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    private IEnumerable<string> ReadMountInfo()
    {
        try { return File.ReadAllLines(MountInfoPath); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return []; }
    }

    private static bool IsFusectlMounted() =>
        MountTable.Read().Entries.Any(e => e.FileSystemType == "fusectl" && e.MountPoint == DefaultConnectionsPath);
}
