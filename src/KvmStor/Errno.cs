using System.Runtime.InteropServices;

namespace KvmStor;

/// <summary>
/// strerror texts as glibc prints them, so our messages read like libvirt's. Beside <see cref="StorageException"/>,
/// which formats system errors with it, so every layer (and a front-end) can name an errno without reaching the host.
/// </summary>
public static class Errno
{
    public const int ENOENT = 2, EIO = 5, EBADF = 9, EAGAIN = 11, EACCES = 13, EEXIST = 17, EXDEV = 18,
        ENOTDIR = 20, EISDIR = 21, EINVAL = 22, ENOSPC = 28, ENOTEMPTY = 39, ENOTSUP = 95, EOPNOTSUPP = 95,
        EBUSY = 16, ELOOP = 40, EINTR = 4;

    /// <summary>glibc's strerror text ("Unknown error N" for a number it does not know), through the runtime's own strerror_r.</summary>
    public static string Describe(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    /// <summary>Maps a .NET I/O exception back to the errno it came from (HResult low bits on Unix).</summary>
    public static int FromException(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => ENOENT,
        UnauthorizedAccessException => EACCES,
        IOException io when (io.HResult & 0xFFFF) is > 0 and < 200 => io.HResult & 0xFFFF,
        _ => EIO,
    };
}
