using System.Runtime.InteropServices;
using KvmStor.Host;
using Microsoft.Win32.SafeHandles;

namespace KvmStor.Images;

/// <summary>
/// Opens a file only to read its header: read-only, close-on-exec, non-blocking (opening a FIFO with no writer returns
/// at once instead of hanging) and never as a controlling terminal. .NET's File.OpenHandle offers none of the last two.
/// </summary>
internal static class ProbeHandle
{
    private const int O_RDONLY = 0, O_NOCTTY = 0x100, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000, EINTR = 4;

    public static SafeFileHandle Open(string path)
    {
        while (true)
        {
            int fd = Libc.open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
            if (fd >= 0) return new SafeFileHandle(fd, ownsHandle: true);
            int errno = Marshal.GetLastPInvokeError();
            if (errno != EINTR) throw new FileSystemException($"cannot open file '{path}'", errno);
        }
    }
}
