using System.Runtime.InteropServices;

namespace KvmStor.Host;

/// <summary>strerror texts as glibc prints them, so our messages read like libvirt's.</summary>
public static partial class Errno
{
    public const int ENOENT = 2, EIO = 5, EBADF = 9, EAGAIN = 11, EACCES = 13, EEXIST = 17, EXDEV = 18,
        ENOTDIR = 20, EISDIR = 21, EINVAL = 22, ENOSPC = 28, ENOTEMPTY = 39, ENOTSUP = 95, EOPNOTSUPP = 95,
        EBUSY = 16, ELOOP = 40;

    [LibraryImport("libc", EntryPoint = "strerror")]
    private static partial IntPtr strerror(int errnum);

    public static string Describe(int errno) => Marshal.PtrToStringUTF8(strerror(errno)) ?? $"errno {errno}";

    /// <summary>Maps a .NET I/O exception back to the errno it came from (HResult low bits on Unix).</summary>
    public static int FromException(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => ENOENT,
        UnauthorizedAccessException => EACCES,
        IOException io when (io.HResult & 0xFFFF) is > 0 and < 200 => io.HResult & 0xFFFF,
        _ => EIO,
    };
}
