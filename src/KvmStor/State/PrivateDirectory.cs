using System.Collections.Concurrent;
using KvmStor.Host;
using Microsoft.Win32.SafeHandles;

namespace KvmStor.State;

/// <summary>
/// Directories only their owner may list or enter (0700). kvmstor's runtime and configuration directories name
/// pools, volumes and guests, which on the system connection are root's business; a directory closed to others also
/// hides whatever files earlier versions left in it with wider modes.
/// </summary>
internal static class PrivateDirectory
{
    public const UnixFileMode Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private const int GroupAndOtherBits = 0b000_111_111;

    /// <summary>Paths already checked by this process (a directory's mode is checked once, not on every lock).</summary>
    private static readonly ConcurrentDictionary<string, bool> Checked = new(StringComparer.Ordinal);

    /// <summary>
    /// Creates <paramref name="path"/> 0700 (missing parents get the usual mode: they hold only fixed names such as
    /// /run/kvmstor/storage), or tightens an existing directory of ours that others may read (an earlier version's
    /// 0755). Returns the path.
    /// </summary>
    public static string Ensure(string path)
    {
        // Once checked, a directory still there costs one stat (it is ensured before every lock a server call takes);
        // anything else at the path goes through the full creation, which fails as it always did.
        if (Checked.ContainsKey(path) && FileSystem.TryStat(path, followLinks: true, out var status, out _) && status.Kind == FileKind.Directory)
            return path;
        Directory.CreateDirectory(path, Mode);
        if (Checked.TryAdd(path, true)) Tighten(path);
        return path;
    }

    /// <summary>
    /// chmod 0700 through a descriptor opened without following a link, so a link put at the path is never changed
    /// through (a link there is left alone); only a directory owned by the user kvmstor runs as is touched.
    /// </summary>
    private static void Tighten(string path)
    {
        int fd = Libc.open(path, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC);
        if (fd < 0) return;
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        FileSystemStatus status;
        try { status = FileSystem.Stat(handle); }
        catch (IOException) { return; }
        if (status.Kind == FileKind.Directory && status.Owner == Libc.geteuid() && (status.Mode & GroupAndOtherBits) != 0)
            Libc.fchmod(fd, (uint)Mode);
    }
}
