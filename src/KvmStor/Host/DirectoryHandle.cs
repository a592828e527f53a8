using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using static KvmStor.Host.Libc;

namespace KvmStor.Host;

/// <summary>
/// An open directory, and the *at() calls made relative to it: whoever renames or replaces the directory's path
/// meanwhile cannot redirect them. Names passed here are single components (no '/'); every call that could follow
/// a symbolic link in the last component does not, unless the caller asks. Failures are <see cref="FileSystemException"/>.
/// </summary>
public sealed class DirectoryHandle : IDisposable
{
    private readonly SafeFileHandle _handle;

    /// <summary>The path the directory was opened by (for messages and for joining names the user will read).</summary>
    public string Path { get; }

    private DirectoryHandle(SafeFileHandle handle, string path) => (_handle, Path) = (handle, path);

    /// <summary>Opens a directory by path (following links in it: the path is the caller's, not a pool's contents).</summary>
    public static DirectoryHandle Open(string path)
    {
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) throw new FileSystemException($"cannot open directory '{path}'", Marshal.GetLastPInvokeError());
        return new DirectoryHandle(new SafeFileHandle(fd, ownsHandle: true), path);
    }

    /// <summary>Opens the sub-directory <paramref name="name"/>, refusing a link there.</summary>
    public DirectoryHandle OpenDirectory(string name)
    {
        int fd = openat(Fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0);
        if (fd < 0) throw new FileSystemException($"cannot open directory '{Join(name)}'", Marshal.GetLastPInvokeError());
        return new DirectoryHandle(new SafeFileHandle(fd, ownsHandle: true), Join(name));
    }

    public string Join(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>
    /// A path that names this very directory for as long as the handle is open, whatever happens to its real path:
    /// the process's /proc fd link. Usable by this process and, being the pid's, by child processes run as root.
    /// </summary>
    public string StablePath => $"/proc/{Environment.ProcessId}/fd/{Fd}";

    /// <summary>The directory's own status.</summary>
    public FileSystemStatus Status() => FileSystem.Stat(_handle);

    /// <summary>The names in the directory ("." and ".." left out), read through the handle.</summary>
    public IReadOnlyList<string> Names()
    {
        var names = new List<string>();
        foreach (var entry in Directory.EnumerateFileSystemEntries(StablePath))
            names.Add(System.IO.Path.GetFileName(entry));
        return names;
    }

    /// <summary>
    /// The change time of a path below this directory (it may have several components; links are followed), given as
    /// NUL-terminated UTF-8; false when it cannot be stated.
    /// </summary>
    public bool TryGetChangeTime(ReadOnlySpan<byte> relativePath, out FileTimestamp changed) =>
        FileSystem.TryGetChangeTimeAt(_handle, relativePath, out changed);

    /// <summary>lstat of an entry (links are not followed); false when it does not exist.</summary>
    public bool TryStatEntry(string name, out FileSystemStatus status, out int errno) =>
        FileSystem.TryStatAt(_handle, name, followLinks: false, out status, out errno);

    /// <summary>stat of an entry following a link in it.</summary>
    public bool TryStatEntryFollowing(string name, out FileSystemStatus status, out int errno) =>
        FileSystem.TryStatAt(_handle, name, followLinks: true, out status, out errno);

    /// <summary>
    /// openat(2) of an entry, never blocking on a FIFO or a device that waits (O_NONBLOCK), close-on-exec. A link in
    /// the last component is refused (ELOOP) unless <paramref name="followLink"/>. <paramref name="exclusiveDevice"/>
    /// adds O_EXCL, which makes the kernel refuse a block device that is mounted or otherwise held.
    /// </summary>
    public SafeFileHandle OpenEntry(string name, FileAccess access, bool followLink = false, bool exclusiveDevice = false)
    {
        int fd = TryOpenEntry(name, access, followLink, exclusiveDevice, out int errno);
        return fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true) : throw new FileSystemException($"cannot open '{Join(name)}'", errno);
    }

    public int TryOpenEntry(string name, FileAccess access, bool followLink, bool exclusiveDevice, out int errno)
    {
        int flags = AccessFlags(access) | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | (followLink ? 0 : O_NOFOLLOW) | (exclusiveDevice ? O_EXCL : 0);
        int fd = openat(Fd, name, flags, 0);
        errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        return fd;
    }

    /// <summary>Creates a new regular file exclusively (never over an existing entry, never through a link).</summary>
    public SafeFileHandle CreateFile(string name, int mode)
    {
        int fd = openat(Fd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, (uint)mode);
        return fd >= 0 ? new SafeFileHandle(fd, ownsHandle: true)
            : throw new FileSystemException($"cannot create '{Join(name)}'", Marshal.GetLastPInvokeError());
    }

    /// <summary>mkdirat(2): fails on any existing entry, links included.</summary>
    public void CreateDirectory(string name, int mode)
    {
        if (mkdirat(Fd, name, (uint)mode) != 0)
            throw new FileSystemException($"cannot create directory '{Join(name)}'", Marshal.GetLastPInvokeError());
    }

    /// <summary>unlinkat(2) of a non-directory (a link is removed itself, never its target). False when absent.</summary>
    public bool Unlink(string name) => Remove(name, 0);

    /// <summary>rmdir of an empty sub-directory through the handle. False when absent.</summary>
    public bool RemoveDirectory(string name) => Remove(name, AT_REMOVEDIR);

    private bool Remove(string name, int flags)
    {
        if (unlinkat(Fd, name, flags) == 0) return true;
        int errno = Marshal.GetLastPInvokeError();
        return errno == Errno.ENOENT ? false : throw new FileSystemException($"cannot remove '{Join(name)}'", errno);
    }

    /// <summary>
    /// Moves <paramref name="name"/> of <paramref name="from"/> to <paramref name="newName"/> here. Without
    /// <paramref name="replace"/> an entry already at the new name wins (EEXIST).
    /// </summary>
    public static void Rename(DirectoryHandle from, string name, DirectoryHandle to, string newName, bool replace)
    {
        if (renameat2(from.Fd, name, to.Fd, newName, replace ? 0 : RENAME_NOREPLACE) != 0)
            throw new FileSystemException($"cannot rename '{from.Join(name)}' to '{to.Join(newName)}'", Marshal.GetLastPInvokeError());
    }

    /// <summary>
    /// linkat(2): a second name for a file, which fails with EEXIST rather than replace anything — the no-replace
    /// move for file systems whose rename takes no flags (FUSE, NFS), completed by unlinking the old name.
    /// </summary>
    public static void Link(DirectoryHandle from, string name, DirectoryHandle to, string newName)
    {
        if (linkat(from.Fd, name, to.Fd, newName, 0) != 0)
            throw new FileSystemException($"cannot link '{from.Join(name)}' to '{to.Join(newName)}'", Marshal.GetLastPInvokeError());
    }

    /// <summary>fsync of the directory, so that entries made or renamed in it survive a crash.</summary>
    public void Sync() => fsync(Fd);

    private static int AccessFlags(FileAccess access) => access switch
    {
        FileAccess.Read => O_RDONLY,
        FileAccess.Write => O_WRONLY,
        _ => O_RDWR,
    };

    private int Fd => (int)_handle.DangerousGetHandle();

    public void Dispose() => _handle.Dispose();
}
