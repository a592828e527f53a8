using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using static KvmStor.Host.ChildProcessInterop;

namespace KvmStor.Host;

/// <summary>
/// One external program, started by posix_spawn in a process group of its own, its output collected on the caller's
/// thread (poll over the pipes, a pidfd and a wake-up pipe: no helper thread, nothing left running after the call).
/// Why a group of its own: when the run is cancelled or its time limit passes, everything the program started is
/// ended with it (mount's helpers, a shell's children), not just the program. The group is signalled only while its
/// leader is still unreaped, so the number cannot belong to anyone else yet.
/// </summary>
internal sealed unsafe class ChildProcess : IDisposable
{
    /// <summary>How long an ended run's program may take to go after SIGTERM before the group gets SIGKILL.</summary>
    public static readonly TimeSpan TerminateGrace = TimeSpan.FromSeconds(1);

    /// <summary>How long to wait after SIGKILL (a process stuck in the kernel cannot die) before leaving it behind.</summary>
    public static readonly TimeSpan AbandonAfter = TimeSpan.FromSeconds(2);

    /// <summary>Programs that did not die in time: reaped by a later run once they have ended, so no zombie piles up.</summary>
    private static readonly ConcurrentQueue<int> Abandoned = new();

    private readonly Lock _gate = new();
    private bool _reaped;
    private int _stdin, _stdout, _stderr, _pidfd, _wakeRead, _wakeWrite;

    public int Pid { get; }

    private ChildProcess(int pid, int stdin, int stdout, int stderr, int wakeRead, int wakeWrite)
    {
        Pid = pid;
        (_stdin, _stdout, _stderr, _wakeRead, _wakeWrite) = (stdin, stdout, stderr, wakeRead, wakeWrite);
        _pidfd = PidfdOpen(pid);
    }

    /// <summary>Starts <paramref name="path"/> with argv <paramref name="argv"/> and exactly <paramref name="environment"/>
    /// ("NAME=value"); stdin is a pipe when <paramref name="withInput"/>, /dev/null otherwise (a tool in a background
    /// group that reads the terminal would be stopped by SIGTTIN).</summary>
    /// <exception cref="Win32Exception">The program could not be started (its errno).</exception>
    public static ChildProcess Start(string path, IReadOnlyList<string> argv, IReadOnlyList<string> environment, bool withInput)
    {
        ReapAbandoned();
        var toClose = new List<int>();
        try
        {
            int childIn, parentIn = -1;
            if (withInput) (childIn, parentIn) = Pipe(toClose);
            else
            {
                childIn = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (childIn < 0) throw new Win32Exception(Marshal.GetLastPInvokeError());
                toClose.Add(childIn);
            }
            var (parentOut, childOut) = Pipe(toClose);
            var (parentErr, childErr) = Pipe(toClose);
            var (wakeRead, wakeWrite) = Pipe(toClose);
            foreach (int fd in new[] { parentIn, parentOut, parentErr, wakeRead, wakeWrite })
                if (fd >= 0) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK);

            int pid = Spawn(path, argv, environment, childIn, childOut, childErr);
            foreach (int fd in new[] { childIn, childOut, childErr }) { close(fd); toClose.Remove(fd); }
            toClose.Clear();
            return new ChildProcess(pid, parentIn, parentOut, parentErr, wakeRead, wakeWrite);
        }
        finally
        {
            foreach (int fd in toClose) close(fd);
        }
    }

    /// <summary>
    /// Feeds <paramref name="input"/>, collects stdout and stderr and waits for the program's end. When
    /// <paramref name="cancellation"/> fires or <paramref name="limit"/> passes, the group gets SIGTERM, SIGKILL after
    /// <paramref name="grace"/>, and the call throws (OperationCanceledException, or the limit's error).
    /// </summary>
    public CommandResult Wait(byte[]? input, CancellationToken cancellation, CommandTimeLimit? limit, TimeSpan grace)
    {
        var clock = Stopwatch.StartNew();
        var stdout = new MemoryStream();
        var stderr = new MemoryStream();
        int inputDone = 0;
        if (_stdin >= 0 && (input is null || input.Length == 0)) CloseFd(ref _stdin);
        bool exited = false;
        Exception? ending = null;
        TimeSpan killAt = TimeSpan.MaxValue, giveUpAt = TimeSpan.MaxValue;

        using var wake = cancellation.Register(Wake);
        var fds = stackalloc PollFd[5];
        var buffer = new byte[65536];
        while (true)
        {
            if (ending is null)
            {
                if (cancellation.IsCancellationRequested) ending = new OperationCanceledException(cancellation);
                else if (limit is not null && clock.Elapsed >= limit.Bound) ending = limit.Expired();
                if (ending is not null)
                {
                    SignalGroup(SIGTERM);
                    CloseFd(ref _stdin);
                    killAt = clock.Elapsed + grace;
                }
            }
            if (clock.Elapsed >= killAt)
            {
                SignalGroup(SIGKILL);
                killAt = TimeSpan.MaxValue;
                giveUpAt = clock.Elapsed + AbandonAfter;
            }

            if (!exited) exited = HasExited();
            if (ending is not null)
            {
                if (exited)
                {
                    // The leader is a zombie and still owns the group's number: end what it left in the group, then reap.
                    SignalGroup(SIGKILL);
                    Reap();
                    throw ending;
                }
                if (clock.Elapsed >= giveUpAt)
                {
                    Abandoned.Enqueue(Pid);
                    lock (_gate) _reaped = true; // no longer ours to signal
                    throw ending;
                }
            }
            else if (exited && _stdout < 0 && _stderr < 0)
            {
                return new CommandResult(Reap(), Decode(stdout), Decode(stderr));
            }

            int count = 0;
            int stdoutAt = Add(fds, ref count, _stdout, POLLIN);
            int stderrAt = Add(fds, ref count, _stderr, POLLIN);
            int stdinAt = Add(fds, ref count, _stdin, POLLOUT);
            int pidAt = Add(fds, ref count, exited ? -1 : _pidfd, POLLIN);
            Add(fds, ref count, _wakeRead, POLLIN);
            int timeout = Timeout(clock.Elapsed, ending is null ? limit?.Bound : null, killAt, giveUpAt, ticking: _pidfd < 0 && !exited);
            if (poll(fds, (nuint)count, timeout) < 0 && Marshal.GetLastPInvokeError() != EINTR)
                throw new Win32Exception(Marshal.GetLastPInvokeError());

            if (stdoutAt >= 0 && fds[stdoutAt].Revents != 0) Drain(ref _stdout, stdout, buffer);
            if (stderrAt >= 0 && fds[stderrAt].Revents != 0) Drain(ref _stderr, stderr, buffer);
            if (stdinAt >= 0 && fds[stdinAt].Revents != 0) Feed(input!, ref inputDone);
            DrainWake(buffer);
        }
    }

    /// <summary>Signals the whole group, unless the leader was reaped (its number may be reused then).</summary>
    public void SignalGroup(int signal)
    {
        lock (_gate)
        {
            if (!_reaped) kill(-Pid, signal);
        }
    }

    public void Dispose()
    {
        CloseFd(ref _stdin);
        CloseFd(ref _stdout);
        CloseFd(ref _stderr);
        CloseFd(ref _pidfd);
        CloseFd(ref _wakeRead);
        CloseFd(ref _wakeWrite);
    }

    private void Wake()
    {
        byte one = 1;
        int fd = Volatile.Read(ref _wakeWrite);
        if (fd >= 0) write(fd, &one, 1);
    }

    private void DrainWake(byte[] buffer)
    {
        fixed (byte* b = buffer)
            while (read(_wakeRead, b, (nuint)buffer.Length) > 0) { }
    }

    private void Drain(ref int fd, MemoryStream into, byte[] buffer)
    {
        fixed (byte* b = buffer)
        {
            while (true)
            {
                nint n = read(fd, b, (nuint)buffer.Length);
                if (n > 0) { into.Write(buffer, 0, (int)n); continue; }
                if (n < 0 && Marshal.GetLastPInvokeError() is EAGAIN or EINTR) return;
                CloseFd(ref fd); // end of output (or an error reading it: nothing more will come)
                return;
            }
        }
    }

    private void Feed(byte[] input, ref int done)
    {
        fixed (byte* b = input)
        {
            nint n = write(_stdin, b + done, (nuint)(input.Length - done));
            if (n > 0) done += (int)n;
            else if (n < 0 && Marshal.GetLastPInvokeError() is EAGAIN or EINTR) return;
            else { CloseFd(ref _stdin); return; } // EPIPE: the program does not read its input; its exit status tells
        }
        if (done == input.Length) CloseFd(ref _stdin);
    }

    /// <summary>Whether the program has ended, without reaping it (waitid with WNOWAIT).</summary>
    private bool HasExited()
    {
        const int P_PID = 1, WEXITED = 4, WNOWAIT = 0x01000000;
        var info = stackalloc byte[128];
        new Span<byte>(info, 128).Clear();
        if (waitid(P_PID, Pid, info, WEXITED | WNOHANG | WNOWAIT) < 0) return Marshal.GetLastPInvokeError() == ECHILD;
        return *(int*)(info + 16) == Pid; // siginfo_t.si_pid: 0 while the program runs
    }

    /// <summary>Reaps the ended program; its exit code, or 128 + the signal that ended it (as .NET's Process reports it).</summary>
    private int Reap()
    {
        lock (_gate)
        {
            int status;
            int r;
            do r = waitpid(Pid, out status, 0);
            while (r < 0 && Marshal.GetLastPInvokeError() == EINTR);
            _reaped = true;
            if (r < 0) return -1; // reaped by someone else (SIGCHLD ignored by our parent): the status is lost
            return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f);
        }
    }

    private static void ReapAbandoned()
    {
        for (int n = Abandoned.Count; n > 0 && Abandoned.TryDequeue(out int pid); n--)
            if (waitpid(pid, out _, WNOHANG) == 0) Abandoned.Enqueue(pid);
    }

    private static int Add(PollFd* fds, ref int count, int fd, short events)
    {
        if (fd < 0) return -1;
        fds[count] = new PollFd { Fd = fd, Events = events };
        return count++;
    }

    /// <summary>Milliseconds until the next thing to do by the clock; -1: only an event can wake us.</summary>
    private static int Timeout(TimeSpan now, TimeSpan? limit, TimeSpan killAt, TimeSpan giveUpAt, bool ticking)
    {
        TimeSpan next = TimeSpan.MaxValue;
        if (limit is { } l && l < next) next = l;
        if (killAt < next) next = killAt;
        if (giveUpAt < next) next = giveUpAt;
        // Without a pidfd (Linux before 5.3) the end of the program is noticed by looking every 50 ms.
        if (ticking && now + TimeSpan.FromMilliseconds(50) < next) next = now + TimeSpan.FromMilliseconds(50);
        if (next == TimeSpan.MaxValue) return -1;
        return (int)Math.Clamp(Math.Ceiling((next - now).TotalMilliseconds), 0, int.MaxValue);
    }

    private static string Decode(MemoryStream bytes)
    {
        bytes.Position = 0;
        using var reader = new StreamReader(bytes, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    private static void CloseFd(ref int fd)
    {
        int old = Interlocked.Exchange(ref fd, -1);
        if (old >= 0) close(old);
    }

    private static (int Read, int Write) Pipe(List<int> toClose)
    {
        var fds = stackalloc int[2];
        if (pipe2(fds, O_CLOEXEC) < 0) throw new Win32Exception(Marshal.GetLastPInvokeError());
        toClose.Add(fds[0]);
        toClose.Add(fds[1]);
        return (fds[0], fds[1]);
    }

    private static int Spawn(string path, IReadOnlyList<string> argv, IReadOnlyList<string> environment, int stdin, int stdout, int stderr)
    {
        var strings = new List<nint>();
        void* actions = NativeMemory.AllocZeroed(FileActionsSize);
        void* attributes = NativeMemory.AllocZeroed(SpawnAttrSize);
        void* empty = NativeMemory.AllocZeroed(SigSetSize);
        void* defaults = NativeMemory.AllocZeroed(SigSetSize);
        byte** args = (byte**)NativeMemory.AllocZeroed((nuint)(argv.Count + 1), (nuint)sizeof(nint));
        byte** env = (byte**)NativeMemory.AllocZeroed((nuint)(environment.Count + 1), (nuint)sizeof(nint));
        try
        {
            byte* Utf8(string s)
            {
                nint p = Marshal.StringToCoTaskMemUTF8(s);
                strings.Add(p);
                return (byte*)p;
            }
            for (int i = 0; i < argv.Count; i++) args[i] = Utf8(argv[i]);
            for (int i = 0; i < environment.Count; i++) env[i] = Utf8(environment[i]);

            posix_spawn_file_actions_init(actions);
            posix_spawnattr_init(attributes);
            try
            {
                posix_spawn_file_actions_adddup2(actions, stdin, 0);
                posix_spawn_file_actions_adddup2(actions, stdout, 1);
                posix_spawn_file_actions_adddup2(actions, stderr, 2);
                // Its own group (pgid = its pid); no blocked signals; and default actions for the classic signals,
                // since exec keeps an ignored one ignored (.NET ignores SIGPIPE).
                sigemptyset(empty);
                sigemptyset(defaults);
                for (int signal = 1; signal < 32; signal++)
                    if (signal is not SIGKILL and not SIGSTOP) sigaddset(defaults, signal);
                posix_spawnattr_setflags(attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
                posix_spawnattr_setpgroup(attributes, 0);
                posix_spawnattr_setsigmask(attributes, empty);
                posix_spawnattr_setsigdefault(attributes, defaults);
                int error = posix_spawn(out int pid, Utf8(path), actions, attributes, args, env);
                if (error != 0) throw new Win32Exception(error);
                return pid;
            }
            finally
            {
                posix_spawnattr_destroy(attributes);
                posix_spawn_file_actions_destroy(actions);
            }
        }
        finally
        {
            foreach (nint p in strings) Marshal.FreeCoTaskMem(p);
            NativeMemory.Free(actions);
            NativeMemory.Free(attributes);
            NativeMemory.Free(empty);
            NativeMemory.Free(defaults);
            NativeMemory.Free(args);
            NativeMemory.Free(env);
        }
    }
}
