using System.Diagnostics;
using KvmStor.Backends;
using KvmStor.Engine;
using KvmStor.Model;
using KvmStor.Host;
using KvmStor.State;

namespace KvmStor.Tests.Cli;

/// <summary>
/// End to end: a kvmstor process creating a vmdk volume (which only qemu-img writes) is interrupted while qemu-img
/// runs. The qemu-img here is a fake placed first on PATH that starts a grandchild and sleeps, both deaf to SIGTERM
/// (so only the group's SIGKILL ends them); it runs in a process group of its own, so the signal reaches it only
/// through kvmstor. Neither it nor its grandchild may survive, and
/// the pool is left without the volume.
/// </summary>
public sealed class ExternalToolInterruptTests : IDisposable
{
    private readonly TempStateDirectory _state = new();
    private string Bin => Path.Combine(_state.Root, "bin");
    private string PidFile => Path.Combine(_state.Root, "qemu-img.pids");
    private string PoolDir => _state.PoolDir("p");

    public ExternalToolInterruptTests()
    {
        Directory.CreateDirectory(Bin);
        string fake = Path.Combine(Bin, "qemu-img");
        File.WriteAllText(fake, $"""
            #!/bin/sh
            trap '' TERM
            (exec sleep 60) &
            echo "$! $$" > '{PidFile}.tmp'
            mv '{PidFile}.tmp' '{PidFile}'
            exec sleep 60

            """);
        File.SetUnixFileMode(fake, (UnixFileMode)0b111_101_101);

        using var host = new StorageHost(StatePaths.ForUri(StatePaths.SessionUri, Variable), BackendRegistry.CreateDefault());
        host.Pools.Define($"<pool type='dir'><name>p</name><target><path>{PoolDir}</path></target></pool>");
        host.Pools.Build("p", PoolBuildFlags.None);
        host.Pools.Start("p", PoolBuildFlags.None);
    }

    public void Dispose() => _state.Dispose();

    private string? Variable(string name) => _state.Environment.TryGetValue(name, out var value) ? value : null;

    private Process StartKvmstor(params string[] args)
    {
        // SIGINT back to its default first: a test run started in the background by a non-interactive shell (as CI
        // scripts do) inherits SIGINT ignored, and a process that starts with it ignored never sees Ctrl+C at all.
        var psi = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        psi.ArgumentList.Add("--default-signal=INT");
        // The test host is not necessarily the dotnet muxer; the runner of the tests says where that is.
        psi.ArgumentList.Add(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet");
        psi.ArgumentList.Add("exec");
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "KvmStor.Cli.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in _state.Environment) psi.Environment[k] = v;
        psi.Environment["PATH"] = Bin + ":" + Environment.GetEnvironmentVariable("PATH");
        psi.Environment.Remove("KVMSTOR_SOURCE_TREE");
        return Process.Start(psi)!;
    }

    private int[] WaitForTool(Process kvmstor)
    {
        var watch = Stopwatch.StartNew();
        while (!File.Exists(PidFile))
        {
            if (kvmstor.HasExited) Assert.Fail("kvmstor ended before qemu-img ran: " + kvmstor.StandardError.ReadToEnd());
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), "qemu-img did not start");
            Thread.Sleep(50);
        }
        return File.ReadAllText(PidFile).Split(' ', StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
    }

    private static bool Alive(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (IOException) { return false; }
    }

    private static void AssertGone(int[] pids)
    {
        var watch = Stopwatch.StartNew();
        while (pids.Any(Alive) && watch.Elapsed < TimeSpan.FromSeconds(20)) Thread.Sleep(20);
        foreach (int pid in pids)
        {
            bool alive = Alive(pid);
            if (alive) ChildProcessInterop.kill(pid, ChildProcessInterop.SIGKILL); // leave nothing behind even on failure
            Assert.False(alive, $"process {pid} survived kvmstor's end");
        }
    }

    private (int ExitCode, string Stderr) Interrupt(int signal)
    {
        using var kvmstor = StartKvmstor("vol-create-as", "p", "v.vmdk", "1M", "--format", "vmdk");
        int[] pids = WaitForTool(kvmstor);
        try
        {
            Assert.Equal(0, ChildProcessInterop.kill(kvmstor.Id, signal));
            Assert.True(kvmstor.WaitForExit(TimeSpan.FromSeconds(60)), "kvmstor did not end within 60 s");
            string stderr = kvmstor.StandardError.ReadToEnd();
            return (kvmstor.ExitCode, stderr);
        }
        finally
        {
            if (!kvmstor.HasExited) kvmstor.Kill();
            AssertGone(pids);
        }
    }

    [Fact]
    public void CtrlCDuringQemuImgEndsItAndItsChildrenAndLeavesNoVolume()
    {
        const int SIGINT = 2;
        var (exitCode, stderr) = Interrupt(SIGINT);
        Assert.Equal(1, exitCode);
        Assert.Contains("operation interrupted", stderr);
        Assert.Empty(Directory.GetFileSystemEntries(PoolDir));
    }

    [Fact]
    public void SigtermDuringQemuImgEndsItAndItsChildren()
    {
        // SIGTERM is not taken as a cancellation: kvmstor ends at once, and kills the tool's group on its way out
        // (there is no time for a SIGTERM and a grace: the SIGKILL goes out from the signal handler).
        Interrupt(ChildProcessInterop.SIGTERM);
    }
}
