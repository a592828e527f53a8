using KvmStor.Backends;
using KvmStor.Backends.Mpath;
using KvmStor.Backends.Scsi;
using KvmStor.Cli;
using KvmStor.Tests.Cli;

namespace KvmStor.Tests.Backends.Scsi;

/// <summary>
/// libvirt 9.0's session on a host without SCSI hosts or device-mapper maps (conformance transcripts/misc.txt), replayed
/// through the kvmstor command against an empty recorded sysfs and a /dev/mapper without maps.
/// </summary>
public sealed class ScsiMpathTranscriptTests : IDisposable
{
    private readonly TempStateDirectory _state = new();
    private readonly RecordedSysfs _sysfs = new();
    private readonly CliServices _services;

    public ScsiMpathTranscriptTests()
    {
        var registry = new BackendRegistry();
        var runner = ScsiReplay.Runner();
        registry.Register(new ScsiPoolBackend(runner, _sysfs.Roots, TimeSpan.FromSeconds(1)));
        registry.Register(new MpathPoolBackend(runner, _sysfs.Roots));
        _services = new CliServices { Environment = new Dictionary<string, string>(_state.Environment), OpenHost = _ => _state.OpenHost(registry) };
        Directory.CreateDirectory(Path.Combine(_sysfs.Dev, "mapper"));
    }

    public void Dispose()
    {
        _sysfs.Dispose();
        _state.Dispose();
    }

    private CliResult Run(params string[] args) => CliRunner.Run(_services, args);

    [Fact]
    public void ScsiPoolOnAHostWithoutThatHost()
    {
        Assert.Equal((0, "Pool refscsi defined\n\n"), Pick(Run("pool-define-as", "refscsi", "scsi", "--adapter-name", "host0", "--target", "/dev/disk/by-path")));
        var start = Run("pool-start", "refscsi");
        Assert.Equal(1, start.ExitCode);
        Assert.Equal("error: Failed to start pool refscsi\n"
                     + $"error: Could not open '{_sysfs.Sys}/class/scsi_host/host0/scan' to trigger host scan: No such file or directory\n", start.Stderr);
        var find = Run("find-storage-pool-sources", "scsi");
        Assert.Equal((1, "error: Failed to find any scsi pool sources\n"
                         + "error: this function is not supported by the connection driver: pool type 'scsi' does not support source discovery\n"),
            (find.ExitCode, find.Stderr));
        Assert.Equal((0, "Pool refscsi has been undefined\n\n"), Pick(Run("pool-undefine", "refscsi")));
    }

    [Fact]
    public void MpathPoolWithoutMapsRunsEmpty()
    {
        Assert.Equal((0, "Pool refmpath defined\n\n"), Pick(Run("pool-define-as", "refmpath", "mpath", "--target", "/dev/mapper")));
        Assert.Equal((0, "Pool refmpath started\n\n"), Pick(Run("pool-start", "refmpath")));
        var info = Run("pool-info", "refmpath");
        Assert.Contains("State:          running\n", info.Stdout);
        Assert.Contains("Capacity:       0.00 B\nAllocation:     0.00 B\nAvailable:      0.00 B\n", info.Stdout);
        Assert.Equal((0, " Name   Path\n--------------\n\n"), Pick(Run("vol-list", "refmpath")));
        Assert.Equal((0, "Pool refmpath destroyed\n\n"), Pick(Run("pool-destroy", "refmpath")));
        Assert.Equal((0, "Pool refmpath has been undefined\n\n"), Pick(Run("pool-undefine", "refmpath")));
    }

    private static (int, string) Pick(CliResult r) => (r.ExitCode, r.Stdout + r.Stderr);
}
