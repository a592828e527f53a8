using System.Diagnostics;
using System.Runtime.InteropServices;

namespace KvmStor.Bench;

/// <summary>
/// Runs a program the way a shell script does (posix_spawn, then wait4 for that child) and times it, for start-up
/// costs of a millisecond or less. System.Diagnostics.Process reads the child's output on thread-pool threads and
/// waits through its SIGCHLD thread; on two CPUs those wake-ups compete with the child's own start-up, which is the
/// noise (0.64–1.23 ms for the same sh exec across runs) this avoids. Output goes to a file, read only on failure.
/// </summary>
internal sealed class LeanSpawn : IDisposable
{
    private readonly string _outputPath;
    private readonly IntPtr _fileActions;

    public LeanSpawn(string outputPath)
    {
        _outputPath = outputPath;
        _fileActions = Marshal.AllocHGlobal(FileActionsSize);
        Require(posix_spawn_file_actions_init(_fileActions), "posix_spawn_file_actions_init");
        Require(posix_spawn_file_actions_addopen(_fileActions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0x180),
            "posix_spawn_file_actions_addopen");
        Require(posix_spawn_file_actions_adddup2(_fileActions, 1, 2), "posix_spawn_file_actions_adddup2");
    }

    /// <summary>The environment a child gets: this process's, with <paramref name="overrides"/> set.</summary>
    public static string?[] EnvironmentWith(IReadOnlyDictionary<string, string> overrides)
    {
        var variables = new Dictionary<string, string>();
        foreach (System.Collections.DictionaryEntry v in Environment.GetEnvironmentVariables())
            variables[(string)v.Key] = (string?)v.Value ?? "";
        foreach (var (name, value) in overrides) variables[name] = value;
        return [.. variables.Select(v => $"{v.Key}={v.Value}"), null];
    }

    /// <summary>Runs <paramref name="program"/> to its end: the wall-clock time from spawn to reaped, and its CPU time.</summary>
    public (double WallMs, double CpuMs) Run(string program, string[] args, string?[] environment)
    {
        string?[] argv = [program, .. args, null];
        var clock = Stopwatch.StartNew();
        Require(posix_spawn(out int pid, program, _fileActions, IntPtr.Zero, argv, environment), $"posix_spawn {program}");
        int reaped;
        RUsage usage;
        int status;
        while ((reaped = wait4(pid, out status, 0, out usage)) < 0 && Marshal.GetLastPInvokeError() == EINTR) { }
        double wall = clock.Elapsed.TotalMilliseconds;
        if (reaped != pid) throw new InvalidOperationException($"wait4 {program}: errno {Marshal.GetLastPInvokeError()}");
        if (status != 0) // a wait status of 0: exited with 0
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed (wait status {status}): {File.ReadAllText(_outputPath)}");
        double cpu = (usage.UserSeconds + usage.SystemSeconds) * 1000.0 + (usage.UserMicroseconds + usage.SystemMicroseconds) / 1000.0;
        return (wall, cpu);
    }

    public void Dispose()
    {
        posix_spawn_file_actions_destroy(_fileActions);
        Marshal.FreeHGlobal(_fileActions);
    }

    private static void Require(int result, string what)
    {
        if (result != 0) throw new InvalidOperationException($"{what}: error {result}");
    }

    private const int FileActionsSize = 256; // glibc's posix_spawn_file_actions_t is 80 bytes on 64-bit Linux
    private const int O_WRONLY = 0x1, O_CREAT = 0x40, O_TRUNC = 0x200, EINTR = 4;

    /// <summary>struct rusage on 64-bit Linux: two timevals, then fourteen longs this bench does not read.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct RUsage
    {
        public long UserSeconds, UserMicroseconds, SystemSeconds, SystemMicroseconds;
        private readonly long _maxrss, _ixrss, _idrss, _isrss, _minflt, _majflt, _nswap;
        private readonly long _inblock, _oublock, _msgsnd, _msgrcv, _nsignals, _nvcsw, _nivcsw;
    }

    [DllImport("libc")]
    private static extern int posix_spawn_file_actions_init(IntPtr actions);

    [DllImport("libc")]
    private static extern int posix_spawn_file_actions_destroy(IntPtr actions);

    [DllImport("libc")]
    private static extern int posix_spawn_file_actions_addopen(IntPtr actions, int fd, string path, int flags, int mode);

    [DllImport("libc")]
    private static extern int posix_spawn_file_actions_adddup2(IntPtr actions, int fd, int newFd);

    [DllImport("libc")]
    private static extern int posix_spawn(out int pid, string path, IntPtr actions, IntPtr attributes, string?[] argv, string?[] envp);

    [DllImport("libc", SetLastError = true)]
    private static extern int wait4(int pid, out int status, int options, out RUsage usage);
}
