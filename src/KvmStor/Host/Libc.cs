using System.Runtime.InteropServices;

namespace KvmStor.Host;

/// <summary>
/// Every libc entry point of the library, in one place (source-generated P/Invoke, AOT-safe), named as in C. File
/// calls go through <see cref="FileSystem"/>, which turns -1/errno into exceptions. The other native libraries
/// (librados, librbd, libiscsi, libgfapi) keep their own classes beside their backends, loaded on first use.
/// </summary>
internal static unsafe partial class Libc
{
    private const string LibraryName = "libc";

    public const int AT_FDCWD = -100;
    public const int AT_SYMLINK_NOFOLLOW = 0x100;
    public const uint STATX_CTIME = 0x80, STATX_BASIC_STATS = 0x7ff, STATX_BTIME = 0x800;

    public const int SEEK_SET = 0, SEEK_DATA = 3, SEEK_HOLE = 4;

    public const int FALLOC_FL_KEEP_SIZE = 0x01, FALLOC_FL_PUNCH_HOLE = 0x02, FALLOC_FL_ZERO_RANGE = 0x10;

    // ioctl request numbers (asm-generic encoding, the same on x86_64 and aarch64).
    public const ulong FICLONE = 0x40049409;       // _IOW(0x94, 9, int)
    public const ulong BLKGETSIZE64 = 0x80081272;  // _IOR(0x12, 114, size_t)
    public const ulong BLKDISCARD = 0x1277;        // _IO(0x12, 119)
    public const ulong BLKZEROOUT = 0x127F;        // _IO(0x12, 127)
    public const ulong FS_IOC_GETFLAGS = 0x80086601; // _IOR('f', 1, long)
    public const ulong FS_IOC_SETFLAGS = 0x40086602; // _IOW('f', 2, long)
    public const int FS_NOCOW_FL = 0x00800000;
    public const long BTRFS_SUPER_MAGIC = 0x9123683E;
    public const int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0x40, O_EXCL = 0x80, O_NOCTTY = 0x100, O_NONBLOCK = 0x800,
        O_DIRECTORY = 0x10000, O_NOFOLLOW = 0x20000, O_CLOEXEC = 0x80000;
    public const int O_APPEND = 0x400;
    public const int AT_REMOVEDIR = 0x200;
    public const uint RENAME_NOREPLACE = 1;
    public const int LOCK_SH = 1, LOCK_EX = 2, LOCK_UN = 8;

    [LibraryImport(LibraryName, EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int statx(int dirfd, string path, int flags, uint mask, byte* buffer);

    /// <summary>statx with the path already NUL-terminated UTF-8: no marshalling, for loops over many paths.</summary>
    [LibraryImport(LibraryName, EntryPoint = "statx", SetLastError = true)]
    public static partial int statx(int dirfd, byte* path, int flags, uint mask, byte* buffer);

    [LibraryImport(LibraryName, EntryPoint = "statvfs", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int statvfs(string path, byte* buffer);

    [LibraryImport(LibraryName, EntryPoint = "fallocate", SetLastError = true)]
    public static partial int fallocate(int fd, int mode, long offset, long length);

    [LibraryImport(LibraryName, EntryPoint = "ftruncate", SetLastError = true)]
    public static partial int ftruncate(int fd, long length);

    [LibraryImport(LibraryName, EntryPoint = "lseek", SetLastError = true)]
    public static partial long lseek(int fd, long offset, int whence);

    [LibraryImport(LibraryName, EntryPoint = "copy_file_range", SetLastError = true)]
    public static partial nint copy_file_range(int fdIn, long* offIn, int fdOut, long* offOut, nuint length, uint flags);

    [LibraryImport(LibraryName, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int ioctl(int fd, ulong request, nint argument);

    [LibraryImport(LibraryName, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int ioctl(int fd, ulong request, void* argument);

    [LibraryImport(LibraryName, EntryPoint = "fstatfs", SetLastError = true)]
    public static partial int fstatfs(int fd, byte* buffer);

    [LibraryImport(LibraryName, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int open(string path, int flags);

    [LibraryImport(LibraryName, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int open(string path, int flags, uint mode);

    [LibraryImport(LibraryName, EntryPoint = "write", SetLastError = true)]
    public static partial nint write(int fd, ReadOnlySpan<byte> buffer, nuint count);

    [LibraryImport(LibraryName, EntryPoint = "fcntl", SetLastError = true)]
    public static partial int fcntl(int fd, int command, void* argument);

    [LibraryImport(LibraryName, EntryPoint = "flock", SetLastError = true)]
    public static partial int flock(int fd, int operation);

    [LibraryImport(LibraryName, EntryPoint = "close", SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport(LibraryName, EntryPoint = "fdatasync", SetLastError = true)]
    public static partial int fdatasync(int fd);

    [LibraryImport(LibraryName, EntryPoint = "chmod", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int chmod(string path, uint mode);

    [LibraryImport(LibraryName, EntryPoint = "chown", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int chown(string path, uint owner, uint group);

    [LibraryImport(LibraryName, EntryPoint = "openat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int openat(int dirfd, string path, int flags);

    [LibraryImport(LibraryName, EntryPoint = "openat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int openat(int dirfd, string path, int flags, uint mode);

    [LibraryImport(LibraryName, EntryPoint = "mkdirat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int mkdirat(int dirfd, string path, uint mode);

    [LibraryImport(LibraryName, EntryPoint = "unlinkat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int unlinkat(int dirfd, string path, int flags);

    [LibraryImport(LibraryName, EntryPoint = "renameat2", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int renameat2(int oldDirfd, string oldPath, int newDirfd, string newPath, uint flags);

    [LibraryImport(LibraryName, EntryPoint = "linkat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int linkat(int oldDirfd, string oldPath, int newDirfd, string newPath, int flags);

    [LibraryImport(LibraryName, EntryPoint = "fchmod", SetLastError = true)]
    public static partial int fchmod(int fd, uint mode);

    [LibraryImport(LibraryName, EntryPoint = "fchown", SetLastError = true)]
    public static partial int fchown(int fd, uint owner, uint group);

    [LibraryImport(LibraryName, EntryPoint = "fsync", SetLastError = true)]
    public static partial int fsync(int fd);

    /// <summary>
    /// mount(2) itself, not mount(8), for FUSE's control file system. Without SetLastError, as it always was: its
    /// callers look at the return value only.
    /// </summary>
    [LibraryImport(LibraryName, EntryPoint = "mount", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int mount(string source, string target, string type, nuint flags, IntPtr data);

    [LibraryImport(LibraryName, EntryPoint = "geteuid")]
    public static partial uint geteuid();

    [LibraryImport(LibraryName, EntryPoint = "getegid")]
    public static partial uint getegid();

    /// <summary>A struct passwd* (static storage of libc), or 0 when the user has no record.</summary>
    [LibraryImport(LibraryName, EntryPoint = "getpwuid")]
    public static partial nint getpwuid(uint uid);

    /// <summary>A struct group* (static storage of libc), or 0 when the group has no record.</summary>
    [LibraryImport(LibraryName, EntryPoint = "getgrgid")]
    public static partial nint getgrgid(uint gid);

    /// <summary>Ends the process without running finalizers or atexit handlers.</summary>
    [LibraryImport(LibraryName, EntryPoint = "_exit")]
    public static partial void _exit(int status);

    /// <summary>fsyncs a directory so a rename inside it survives a crash; a directory that cannot be opened is skipped.</summary>
    public static void FsyncDirectory(string dir)
    {
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) return;
        fsync(fd);
        close(fd);
    }
}
