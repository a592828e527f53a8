using KvmStor.Backends.Fs;

namespace KvmStor.IntegrationTests;

/// <summary>
/// A vstorage pool through the real kvmstor binary. vstorage-mount is a stand-in that mounts a tmpfs with the
/// cluster's fsname (vstorage://&lt;cluster&gt;), so start, the mount-table check and stop (the real umount) run for real.
/// </summary>
public sealed class VstorageReplayCliTests : IDisposable
{
    private readonly KvmstorProcess _k = new();
    private readonly ReplayedTools _tools = new();
    private string Target => Path.Combine(_k.Root, "vz");

    public void Dispose()
    {
        // A failed test must not leave the tmpfs mounted.
        if (IsMounted()) System.Diagnostics.Process.Start("umount", ["-l", Target])!.WaitForExit();
        _k.Dispose();
        _tools.Dispose();
    }

    private bool IsMounted() => MountTable.Read().IsMounted("vstorage://vzc", Target);

    private (int ExitCode, string Stdout, string Stderr) Run(params string[] args) => _k.RunWith(_tools.Environment, args);

    [Fact]
    public void StartMountsStopUnmountsAndVolumesAreFiles()
    {
        // argv: -c CLUSTER TARGET -m MODE -g GROUP -u USER
        _tools.Script("vstorage-mount", "exec mount -t tmpfs -o size=16m,mode=0$5 \"vstorage://$2\" \"$3\"");
        Assert.Equal(0, Run("pool-define-as", "vz", "vstorage", "--source-name", "vzc", "--target", Target).ExitCode);
        Assert.Equal((0, "Pool vz built\n\n", ""), Run("pool-build", "vz"));
        Assert.Equal((0, "Pool vz started\n\n", ""), Run("pool-start", "vz"));
        Assert.True(IsMounted());
        Assert.Equal([$"vstorage-mount -c vzc {Target} -m 711 -g root -u root"], _tools.Calls);
        Assert.Contains("Capacity:       16.00 MiB\n", Run("pool-info", "vz").Stdout);

        Assert.Equal((0, "Vol a.img created\n\n", ""), Run("vol-create-as", "vz", "a.img", "1M"));
        Assert.Equal(1 << 20, new FileInfo(Path.Combine(Target, "a.img")).Length);
        Assert.Equal((0, $"{Target}/a.img\n\n", ""), Run("vol-path", "a.img", "--pool", "vz"));

        Assert.Equal((0, "Pool vz destroyed\n\n", ""), Run("pool-destroy", "vz"));
        Assert.False(IsMounted());
        // The volume lived on the cluster, not in the directory underneath.
        Assert.False(File.Exists(Path.Combine(Target, "a.img")));
        Assert.Equal((0, "Pool vz deleted\n\n", ""), Run("pool-delete", "vz"));
        Assert.False(Directory.Exists(Target));
    }
}
