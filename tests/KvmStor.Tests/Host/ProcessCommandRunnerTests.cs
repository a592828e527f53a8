using System.Diagnostics;
using KvmStor.Host;

namespace KvmStor.Tests.Host;

/// <summary>
/// The real runner with real programs: output and input, the child's starting state (own process group, /dev/null
/// for stdin, no ignored signals), and the end of a program with everything it started when its run is cancelled,
/// its time limit passes, or kvmstor is ending.
/// </summary>
public sealed class ProcessCommandRunnerTests : IDisposable
{
    /// <summary>
    /// A grace far longer than any scheduling delay of a loaded machine: a run that ends well within half of it was
    /// ended without waiting for the grace.
    /// </summary>
    static readonly TimeSpan LongGrace = TimeSpan.FromSeconds(30);

    private readonly string _dir = Directory.CreateTempSubdirectory("kvmstor-runner-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static CommandLine Shell(string script, params string[] arguments) => new("sh", ["-c", script, "sh", .. arguments]);

    [Fact]
    public void OutputErrorExitCodeAndInputComeBack()
    {
        var runner = new ProcessCommandRunner();
        var result = runner.Run(Shell("echo out; echo err >&2; exit 3"));
        Assert.Equal(new CommandResult(3, "out\n", "err\n"), result);

        // More input than a pipe holds, while the program writes as much back: neither side may block the other.
        byte[] input = new byte[1 << 20];
        Random.Shared.NextBytes(input);
        var echoed = runner.Run(new CommandLine("od", "-An", "-v", "-tx1") { StandardInput = input });
        Assert.True(echoed.Success);
        Assert.Equal(input.Length, echoed.StandardOutput.Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void ASignalledProgramReportsOneHundredTwentyEightPlusTheSignal()
    {
        Assert.Equal(128 + 9, new ProcessCommandRunner().Run(Shell("kill -9 $$")).ExitCode);
    }

    [Fact]
    public void AMissingProgramIsNamed()
    {
        var e = Assert.Throws<StorageException>(() => new ProcessCommandRunner().Run(new CommandLine("/nonexistent/tool")));
        Assert.Equal("internal error: Cannot find '/nonexistent/tool' in path: No such file or directory", e.Display);
    }

    [Fact]
    public void TheProgramLeadsItsOwnGroupReadsDevNullAndIgnoresNoSignal()
    {
        var result = new ProcessCommandRunner().Run(Shell(
            "read pid comm state ppid pgrp rest < /proc/self/stat; echo \"$pid $pgrp\"; readlink /proc/self/fd/0; " +
            "grep SigIgn /proc/self/status; grep SigBlk /proc/self/status; echo \"$LC_ALL $EXTRA\"")
            .WithEnvironment("EXTRA", "x"));
        var lines = result.StandardOutput.Split('\n');
        var ids = lines[0].Split(' ');
        Assert.Equal(ids[0], ids[1]); // pgid = pid
        Assert.NotEqual(Environment.ProcessId.ToString(), ids[0]);
        Assert.Equal("/dev/null", lines[1]);
        // .NET ignores SIGPIPE; the program must not ignore any of signals 1-31. (glibc's posix_spawn leaves its own
        // internal signals 32 and 33 ignored, which sigaddset cannot name; the program's C library sets them up anew.)
        ulong ignored = Convert.ToUInt64(lines[2].Split('\t')[1], 16);
        Assert.Equal(0UL, ignored & 0x7fffffff);
        Assert.Equal("SigBlk:\t0000000000000000", lines[3]);
        Assert.Equal("C x", lines[4]);
    }

    /// <summary>
    /// A program that starts a grandchild ignoring SIGTERM, writes "grandchild-pid child-pid" to a file, and sleeps.
    /// With <paramref name="childIgnoresTerm"/> the program ignores SIGTERM too (only SIGKILL ends it).
    /// </summary>
    private (CommandLine Command, string PidFile) SleeperWithGrandchild(bool childIgnoresTerm)
    {
        string pidFile = Path.Combine(_dir, "pids");
        string trap = childIgnoresTerm ? "trap '' TERM; " : "";
        var command = Shell(trap + "(trap '' TERM; exec sleep 60) & echo \"$! $$\" > \"$1.tmp\"; mv \"$1.tmp\" \"$1\"; exec sleep 60", pidFile);
        return (command, pidFile);
    }

    private static int[] WaitForPids(string pidFile)
    {
        var watch = Stopwatch.StartNew();
        while (!File.Exists(pidFile))
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), "the program did not start");
            Thread.Sleep(20);
        }
        return File.ReadAllText(pidFile).Split(' ', StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
    }

    /// <summary>Whether <paramref name="pid"/> is a live process (a zombie left to an init that does not reap counts as dead).</summary>
    private static bool Alive(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (IOException) { return false; } // gone (FileNotFound and DirectoryNotFound are IOExceptions)
    }

    private static int ProcessGroupOf(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[2]);
    }

    private static void AssertGone(params int[] pids)
    {
        // The grandchild is reaped by init (or whoever adopts it), a moment after it died.
        var watch = Stopwatch.StartNew();
        while (pids.Any(Alive) && watch.Elapsed < TimeSpan.FromSeconds(20)) Thread.Sleep(20);
        foreach (int pid in pids) Assert.False(Alive(pid), $"process {pid} survived");
    }

    [Fact]
    public void CancellingARunEndsTheProgramAndEverythingItStarted()
    {
        var (command, pidFile) = SleeperWithGrandchild(childIgnoresTerm: false);
        using var cancel = new CancellationTokenSource();
        var run = Task.Run(() => new ProcessCommandRunner(terminateGrace: LongGrace).Run(command, cancel.Token));
        int[] pids = WaitForPids(pidFile);
        Assert.Equal(pids[1], ProcessGroupOf(pids[0])); // the grandchild is in the program's group

        var watch = Stopwatch.StartNew();
        cancel.Cancel();
        var e = Assert.ThrowsAny<OperationCanceledException>(() => run.GetAwaiter().GetResult());
        Assert.Equal(cancel.Token, e.CancellationToken);
        // The program went on SIGTERM; the grandchild, which ignores it, got the group's SIGKILL right after, not at
        // the end of the (long) grace.
        Assert.InRange(watch.Elapsed, TimeSpan.Zero, LongGrace / 2);
        AssertGone(pids);
    }

    [Fact]
    public void ATimeLimitEndsTheProgramAndEverythingItStartedWithLibvirtsTimeoutError()
    {
        var (command, pidFile) = SleeperWithGrandchild(childIgnoresTerm: true);
        var limit = TimeSpan.FromMilliseconds(1500);
        var watch = Stopwatch.StartNew();
        var run = Task.Run(() => new ProcessCommandRunner().Run(command.Within(new CommandTimeLimit(limit, "sleeper on nas1"))));
        int[] pids = WaitForPids(pidFile);
        var e = Assert.Throws<StorageException>(() => run.GetAwaiter().GetResult());
        Assert.Equal(ErrorCode.OperationTimeout, e.Code);
        Assert.Equal("Timed out during operation: sleeper on nas1: no answer within 1.5 s (KVMSTOR_NETWORK_TIMEOUT)", e.Display);
        // Both ignore SIGTERM: the group's SIGKILL after the grace ends them — long before their own 60 s sleep.
        Assert.InRange(watch.Elapsed, limit + ChildProcess.TerminateGrace, TimeSpan.FromSeconds(30));
        AssertGone(pids);
    }

    [Fact]
    public void WhenKvmstorIsEndingEveryRunningProgramIsKilledAtOnce()
    {
        var (command, pidFile) = SleeperWithGrandchild(childIgnoresTerm: true);
        using var ending = new CancellationTokenSource();
        var run = Task.Run(() => new ProcessCommandRunner(ending.Token, terminateGrace: LongGrace).Run(command));
        int[] pids = WaitForPids(pidFile);
        var watch = Stopwatch.StartNew();
        ending.Cancel(); // the callbacks ran: SIGKILL was sent before Cancel returned
        Assert.ThrowsAny<OperationCanceledException>(() => run.GetAwaiter().GetResult());
        // Both ignore SIGTERM: no SIGTERM and grace here, or they would have lived that long.
        Assert.InRange(watch.Elapsed, TimeSpan.Zero, LongGrace / 2);
        AssertGone(pids);
    }

    [Fact]
    public void AProgramThatEndsByItselfKeepsWhatItLeftRunningInItsGroup()
    {
        // Only a cancelled or timed-out run ends the group: a daemon a tool leaves behind on success is not ours to kill.
        string pidFile = Path.Combine(_dir, "daemon");
        var result = new ProcessCommandRunner().Run(Shell("sleep 60 >/dev/null 2>&1 & echo $! > \"$1\"", pidFile));
        Assert.True(result.Success);
        int daemon = int.Parse(File.ReadAllText(pidFile).Trim());
        try { Assert.True(Alive(daemon)); }
        finally { ChildProcessInterop.kill(daemon, ChildProcessInterop.SIGKILL); }
    }
}
