using System.Runtime.InteropServices;

namespace KvmStor.Host;

/// <summary>The few libc calls the state store needs (the rest of the native surface lives with its users).</summary>
internal static partial class Posix
{
    [LibraryImport("libc", EntryPoint = "geteuid")]
    internal static partial uint GetEffectiveUserId();

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    internal static partial int Flock(int fd, int operation);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int OpenMode(string path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    internal static partial nint Write(int fd, ReadOnlySpan<byte> buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    internal static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    internal static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    internal static unsafe partial int Fcntl(int fd, int command, void* argument);

    [LibraryImport("libc", EntryPoint = "fchmod", SetLastError = true)]
    internal static partial int Fchmod(int fd, uint mode);

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int OpenAt(int directoryFd, string path, int flags);

    [LibraryImport("libc", EntryPoint = "unlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int UnlinkAt(int directoryFd, string path, int flags);

    internal const int LOCK_SH = 1, LOCK_EX = 2, LOCK_UN = 8;
    internal const int O_RDONLY = 0, O_RDWR = 2, O_CREAT = 0x40, O_WRONLY = 1, O_APPEND = 0x400, O_DIRECTORY = 0x10000, O_NOFOLLOW = 0x20000, O_CLOEXEC = 0x80000;
    internal const int AT_FDCWD = -100, AT_REMOVEDIR = 0x200;
    internal const int EINTR = 4, ENOENT = 2;

    /// <summary>fsyncs a directory so a rename inside it survives a crash.</summary>
    internal static void FsyncDirectory(string dir)
    {
        int fd = Open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) return;
        Fsync(fd);
        Close(fd);
    }
}
