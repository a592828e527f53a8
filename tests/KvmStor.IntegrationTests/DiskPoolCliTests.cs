using KvmStor.Backends;
using KvmStor.Cli;
using KvmStor.Engine;
using KvmStor.State;

namespace KvmStor.IntegrationTests;

/// <summary>The pool commands of libvirt's disk transcripts (transcripts/disk*.txt), run in-process on a real loop device.</summary>
public sealed class DiskPoolCliTests : IDisposable
{
    private readonly string _state = Directory.CreateTempSubdirectory("kvmstor-diskcli-").FullName;
    private readonly DiskPoolLoopDevice _loop = new();

    public void Dispose()
    {
        _loop.Dispose();
        try { Directory.Delete(_state, recursive: true); } catch (IOException) { }
    }

    private (int ExitCode, string Output) Virsh(params string[] args)
    {
        var paths = new StatePaths(StatePaths.SessionUri, Path.Combine(_state, "config"), Path.Combine(_state, "config", "autostart"), Path.Combine(_state, "run"));
        var services = new CliServices { OpenHost = _ => new StorageHost(paths, BackendRegistry.CreateDefault()) };
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        int rc = KvmStor.Cli.Cli.Run(args, stdout, stderr, services);
        return (rc, stdout.ToString() + stderr.ToString());
    }

    [Fact]
    public void TheGptTranscriptRunsAsInLibvirt()
    {
        Assert.Equal((0, "Pool refdisk defined\n\n"),
            Virsh("pool-define-as", "refdisk", "disk", "--source-dev", _loop.Device, "--source-format", "gpt", "--target", "/dev"));
        Assert.Equal((0, "Pool refdisk built\n\n"), Virsh("pool-build", "refdisk"));
        var again = Virsh("pool-build", "refdisk", "--no-overwrite");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains($"error: Storage pool already built: Device '{_loop.Device}' already formatted using 'gpt'", again.Output);
        Assert.Equal((0, "Pool refdisk built\n\n"), Virsh("pool-build", "refdisk", "--overwrite"));
        Assert.Equal((0, "Pool refdisk started\n\n"), Virsh("pool-start", "refdisk"));

        var info = Virsh("pool-info", "refdisk");
        Assert.Contains("Capacity:       1023.98 MiB\n", info.Output);
        Assert.Contains("Allocation:     0.00 B\n", info.Output);
        Assert.Contains("Available:      1023.97 MiB\n", info.Output);

        var dump = Virsh("pool-dumpxml", "refdisk");
        Assert.Contains($"<device path='{_loop.Device}'>\n      <freeExtent start='17408' end='1073724928'/>\n    </device>", dump.Output);

        Assert.Equal((0, "Pool refdisk destroyed\n\n"), Virsh("pool-destroy", "refdisk"));
        Assert.Equal((0, "Pool refdisk deleted\n\n"), Virsh("pool-delete", "refdisk"));
        Assert.Equal((0, "Pool refdisk has been undefined\n\n"), Virsh("pool-undefine", "refdisk"));
    }
}
