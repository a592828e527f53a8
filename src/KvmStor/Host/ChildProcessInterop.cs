using System.Runtime.InteropServices;

namespace KvmStor.Host;

/// <summary>
/// The libc calls behind <see cref="ChildProcess"/>: posix_spawn into a process group of the child's own (which .NET's
/// Process cannot do on Linux), pipes, poll, waitpid and kill. Kept apart from the other libc declarations because
/// only the command runner uses them.
/// </summary>
internal static unsafe partial class ChildProcessInterop
{
    private const string Libc = "libc";

    // glibc's values (the same on x86_64 and aarch64).
    public const short POSIX_SPAWN_SETPGROUP = 0x02, POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSIGMASK = 0x08;
    public const int O_RDONLY = 0, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;
    public const int F_GETFL = 3, F_SETFL = 4;
    public const short POLLIN = 0x001, POLLOUT = 0x004, POLLERR = 0x008, POLLHUP = 0x010, POLLNVAL = 0x020;
    public const int WNOHANG = 1;
    public const int SIGKILL = 9, SIGSTOP = 19, SIGTERM = 15;
    public const int EINTR = 4, EAGAIN = 11, ECHILD = 10, ESRCH = 3, ENOSYS = 38, EPIPE = 32;
    private const long SYS_pidfd_open = 434; // one number on every architecture since Linux 5.3

    /// <summary>Generous sizes for glibc's opaque types (posix_spawnattr_t is 336 bytes, file actions 80, sigset_t 128).</summary>
    public const int SpawnAttrSize = 1024, FileActionsSize = 1024, SigSetSize = 256;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport(Libc, EntryPoint = "posix_spawn")]
    public static partial int posix_spawn(out int pid, byte* path, void* fileActions, void* attributes, byte** argv, byte** envp);

    [LibraryImport(Libc, EntryPoint = "posix_spawn_file_actions_init")]
    public static partial int posix_spawn_file_actions_init(void* actions);

    [LibraryImport(Libc, EntryPoint = "posix_spawn_file_actions_adddup2")]
    public static partial int posix_spawn_file_actions_adddup2(void* actions, int fd, int newFd);

    [LibraryImport(Libc, EntryPoint = "posix_spawn_file_actions_destroy")]
    public static partial int posix_spawn_file_actions_destroy(void* actions);

    [LibraryImport(Libc, EntryPoint = "posix_spawnattr_init")]
    public static partial int posix_spawnattr_init(void* attributes);

    [LibraryImport(Libc, EntryPoint = "posix_spawnattr_setflags")]
    public static partial int posix_spawnattr_setflags(void* attributes, short flags);

    [LibraryImport(Libc, EntryPoint = "posix_spawnattr_setpgroup")]
    public static partial int posix_spawnattr_setpgroup(void* attributes, int processGroup);

    [LibraryImport(Libc, EntryPoint = "posix_spawnattr_setsigmask")]
    public static partial int posix_spawnattr_setsigmask(void* attributes, void* signals);

    [LibraryImport(Libc, EntryPoint = "posix_spawnattr_setsigdefault")]
    public static partial int posix_spawnattr_setsigdefault(void* attributes, void* signals);

    [LibraryImport(Libc, EntryPoint = "posix_spawnattr_destroy")]
    public static partial int posix_spawnattr_destroy(void* attributes);

    [LibraryImport(Libc, EntryPoint = "sigemptyset")]
    public static partial int sigemptyset(void* signals);

    [LibraryImport(Libc, EntryPoint = "sigaddset")]
    public static partial int sigaddset(void* signals, int signal);

    [LibraryImport(Libc, EntryPoint = "pipe2", SetLastError = true)]
    public static partial int pipe2(int* fds, int flags);

    [LibraryImport(Libc, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial int open(string path, int flags);

    [LibraryImport(Libc, EntryPoint = "fcntl", SetLastError = true)]
    public static partial int fcntl(int fd, int command, int argument);

    [LibraryImport(Libc, EntryPoint = "close")]
    public static partial int close(int fd);

    [LibraryImport(Libc, EntryPoint = "read", SetLastError = true)]
    public static partial nint read(int fd, byte* buffer, nuint count);

    [LibraryImport(Libc, EntryPoint = "write", SetLastError = true)]
    public static partial nint write(int fd, byte* buffer, nuint count);

    [LibraryImport(Libc, EntryPoint = "poll", SetLastError = true)]
    public static partial int poll(PollFd* fds, nuint count, int timeoutMilliseconds);

    [LibraryImport(Libc, EntryPoint = "waitpid", SetLastError = true)]
    public static partial int waitpid(int pid, out int status, int options);

    [LibraryImport(Libc, EntryPoint = "waitid", SetLastError = true)]
    public static partial int waitid(int idType, int id, void* info, int options);

    [LibraryImport(Libc, EntryPoint = "kill", SetLastError = true)]
    public static partial int kill(int pid, int signal);

    [LibraryImport(Libc, EntryPoint = "syscall", SetLastError = true)]
    private static partial long syscall(long number, int pid, uint flags);

    /// <summary>A descriptor that polls readable once the child has ended; -1 where the kernel lacks pidfd_open.</summary>
    public static int PidfdOpen(int pid) => (int)syscall(SYS_pidfd_open, pid, 0);
}
