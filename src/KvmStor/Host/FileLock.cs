using System.Runtime.InteropServices;

namespace KvmStor.Host;

/// <summary>
/// An flock(2) lock on a file of fixed name (driver, secrets, events), shared between kvmstor processes; released on
/// Dispose or when the process dies. Lock files are never deleted: removing one while another process waits on it
/// would split the lock. Locks on pool and volume names are <see cref="KvmStor.State.NameLock"/>s, which need no file per name.
/// </summary>
public sealed class FileLock : IDisposable
{
    private int _fd;

    private FileLock(int fd) => _fd = fd;

    public static FileLock Exclusive(string path) => Acquire(path, Libc.LOCK_EX);
    public static FileLock Shared(string path) => Acquire(path, Libc.LOCK_SH);

    /// <summary>An exclusive lock on an existing directory itself: nothing is created for it.</summary>
    public static FileLock ExclusiveDirectory(string path)
    {
        int fd = Libc.open(path, Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
        if (fd < 0) throw StorageException.System($"cannot open directory '{path}'", Marshal.GetLastPInvokeError());
        return Lock(fd, path, Libc.LOCK_EX);
    }

    private static FileLock Acquire(string path, int operation)
    {
        // Raw open(2): .NET's FileStream takes its own non-blocking flock, which would fight ours.
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        int fd = Libc.open(path, Libc.O_RDWR | Libc.O_CREAT | Libc.O_CLOEXEC, 0b110_000_000);
        if (fd < 0) throw StorageException.System($"cannot open lock file '{path}'", Marshal.GetLastPInvokeError());
        return Lock(fd, path, operation);
    }

    private static FileLock Lock(int fd, string path, int operation)
    {
        while (Libc.flock(fd, operation) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == 4) continue; // EINTR
            Libc.close(fd);
            throw StorageException.System($"cannot lock '{path}'", errno);
        }
        return new FileLock(fd);
    }

    public void Dispose()
    {
        if (_fd >= 0) Libc.close(_fd);
        _fd = -1;
    }
}
