using KvmStor.Backends;
using KvmStor.Backends.Sheepdog;
using KvmStor.Model;

namespace KvmStor.Tests.Backends.Sheepdog;

/// <summary>The sheepdog backend against replayed dog output: libvirt's argv (subcommand, then -a host -p port), refresh, volumes and clones.</summary>
public sealed class SheepdogPoolBackendTests
{
    private const string At = "-a localhost -p 7000";
    private readonly ReplayRunner _dog = new();
    private readonly SheepdogPoolBackend _backend;

    public SheepdogPoolBackendTests() => _backend = new SheepdogPoolBackend(_dog, () => "snap1");

    private static PoolDefinition Pool(string? host = null, int? port = null, string? sourceName = "cluster1") => new()
    {
        Type = PoolType.Sheepdog,
        Name = "sd",
        Source = new PoolSource { Name = sourceName, Hosts = host is null ? [] : [new PoolSourceHost(host, port)] },
    };

    private static VolumeDefinition Volume(string name, ulong capacity) => new() { Name = name, Capacity = capacity };

    private static string Recorded(string name) => RecordedOutput.Read("Sheepdog", name);

    [Fact]
    public void RefreshReadsTheClusterTotalAndEveryCurrentVdi()
    {
        _dog.Expect($"dog node info -r {At}", Recorded("node-info-r.txt")).Expect($"dog vdi list -r {At}", Recorded("vdi-list-r.txt"));
        var result = _backend.Refresh(Pool());
        Assert.Equal((161061273600UL, 3221225472UL, 161061273600UL - 3221225472UL), (result.Capacity, result.Allocation, result.Available));
        // The snapshot line of 'base' is no volume; the clone 'web01' is.
        Assert.Equal(["alice", "base", "web01", "my disk"], result.Volumes.Select(v => v.Name));
        var alice = result.Volumes[0];
        Assert.Equal((VolumeType.Network, "cluster1/alice", "alice", 10737418240UL, 2147483648UL),
            (alice.Type, alice.Key, alice.Target.Path, alice.Capacity, alice.Allocation));
        _dog.AssertDone();
    }

    [Fact]
    public void OlderCollieTotalLineGivesTheSameNumbers()
    {
        var size = SheepdogOutput.ParseNodeInfo(Recorded("node-info-r-collie.txt"));
        Assert.Equal(new SheepdogClusterSize(15245667872, 117571104), size);
    }

    [Fact]
    public void HostAndPortComeFromTheFirstSourceHost()
    {
        _dog.Expect("dog vdi list -r -a 10.0.0.5 -p 7001", "");
        Assert.Empty(_backend.ListVolumes(Pool("10.0.0.5", 7001)));
        _dog.Expect("dog vdi list -r -a sheep.example -p 7000", "");
        Assert.Empty(_backend.ListVolumes(Pool("sheep.example")));
        _dog.AssertDone();
    }

    [Fact]
    public void KeyUsesThePoolNameWhenThereIsNoSourceName()
    {
        _dog.Expect($"dog vdi list alice -r {At}", Recorded("vdi-list-r-alice.txt"));
        var alice = _backend.FindVolume(Pool(sourceName: null), "alice");
        Assert.Equal("sd/alice", alice!.Key);
    }

    [Fact]
    public void KeyOrPathLookupAsksOnlyForWhatCouldBeAVdiOfThisPool()
    {
        Assert.Null(_backend.FindVolumeByKeyOrPath(Pool(), "/var/lib/libvirt/images/alice"));
        Assert.Null(_backend.FindVolumeByKeyOrPath(Pool(), "otherpool/alice"));
        Assert.Empty(_dog.Ran);
        _dog.Expect($"dog vdi list alice -r {At}", Recorded("vdi-list-r-alice.txt"))
            .Expect($"dog vdi list alice -r {At}", Recorded("vdi-list-r-alice.txt"));
        Assert.Equal("alice", _backend.FindVolumeByKeyOrPath(Pool(), "cluster1/alice")!.Name);
        Assert.Equal("cluster1/alice", _backend.FindVolumeByKeyOrPath(Pool(), "alice")!.Key);
        _dog.AssertDone();
    }

    [Fact]
    public void NodeInfoWithoutTotalIsAnError()
    {
        _dog.Expect($"dog node info -r {At}", "0 1 1 0%\n");
        var e = Assert.Throws<StorageException>(() => _backend.Refresh(Pool()));
        Assert.Contains("'dog node info -r' printed no 'Total' line", e.Display);
    }

    [Fact]
    public void FailingDogIsReportedWithItsCommandLineAndMessage()
    {
        _dog.Expect($"dog node info -r {At}", "", exitCode: 2, stderr: "failed to connect to localhost:7000: Connection refused");
        var e = Assert.Throws<StorageException>(() => _backend.Refresh(Pool()));
        Assert.Equal($"internal error: Child process (dog node info -r {At}) unexpected exit status 2: failed to connect to localhost:7000: Connection refused", e.Display);
    }

    [Fact]
    public void CreateIsVdiCreateInBytes()
    {
        _dog.Expect($"dog vdi create alice 10737418240 {At}").Expect($"dog vdi list alice -r {At}", Recorded("vdi-list-r-alice.txt"));
        var created = _backend.CreateVolume(Pool(), Volume("alice", 10737418240), VolumeCreateFlags.None, null, default);
        Assert.Equal(("cluster1/alice", "alice", 2147483648UL), (created.Key, created.Target.Path, created.Allocation));
        _dog.AssertDone();
    }

    [Fact]
    public void CreateWithoutCapacityIsRefusedBeforeDogRuns()
    {
        var e = Assert.Throws<StorageException>(() => _backend.CreateVolume(Pool(), Volume("v", 0), VolumeCreateFlags.None, null, default));
        Assert.Equal("this function is not supported by the connection driver: volume capacity required for this pool", e.Display);
        var encrypted = Volume("v", 1024) with { Target = new VolumeTarget { Encryption = new VolumeEncryption { Format = "luks" } } };
        e = Assert.Throws<StorageException>(() => _backend.CreateVolume(Pool(), encrypted, VolumeCreateFlags.None, null, default));
        Assert.Equal("unsupported configuration: storage pool does not support encrypted volumes", e.Display);
        Assert.Empty(_dog.Ran);
    }

    [Fact]
    public void DeleteAndResizeAreTheirVdiCommands()
    {
        _dog.Expect($"dog vdi delete alice {At}").Expect($"dog vdi resize alice 21474836480 {At}");
        _backend.DeleteVolume(Pool(), Volume("alice", 1), VolumeDeleteFlags.None);
        _backend.ResizeVolume(Pool(), Volume("alice", 1), 21474836480, VolumeResizeFlags.None);
        _dog.AssertDone();
    }

    [Fact]
    public void CloneSnapshotsTheSourceThenClonesFromTheSnapshot()
    {
        var source = Volume("base", 21474836480);
        _dog.Expect($"dog vdi snapshot -s snap1 base {At}")
            .Expect($"dog vdi clone -s snap1 base web02 {At}")
            .Expect($"dog vdi list web02 -r {At}", "c web02 0 21474836480 0 0 2024-05-02 12:00 9b3e02 3 \n");
        var clone = _backend.CreateVolumeFrom(Pool(), Volume("web02", 21474836480), Pool(), source, VolumeCreateFlags.None, null, default);
        Assert.Equal(("web02", "cluster1/web02", 21474836480UL), (clone.Name, clone.Key, clone.Capacity));
        _dog.AssertDone();
    }

    [Fact]
    public void LargerCloneIsResizedAndRemovedAgainWhenThatFails()
    {
        var source = Volume("base", 1024);
        _dog.Expect($"dog vdi snapshot -s snap1 base {At}")
            .Expect($"dog vdi clone -s snap1 base big {At}")
            .Expect($"dog vdi resize big 4096 {At}", exitCode: 1, stderr: "Failed to resize")
            .Expect($"dog vdi delete big {At}");
        Assert.Throws<StorageException>(() =>
            _backend.CreateVolumeFrom(Pool(), Volume("big", 4096), Pool(), source, VolumeCreateFlags.None, null, default));
        _dog.AssertDone();
    }

    [Fact]
    public void CloneAcrossClustersIsRefusedBeforeDogRuns()
    {
        var e = Assert.Throws<StorageException>(() => _backend.CreateVolumeFrom(Pool(), Volume("c", 1), Pool("other"), Volume("base", 1),
            VolumeCreateFlags.None, null, default));
        Assert.Contains("same sheepdog cluster", e.Display);
        Assert.Empty(_dog.Ran);
    }

    [Fact]
    public void MissingDogNamesTheProgram()
    {
        _dog.Missing.Add("dog");
        var e = Assert.Throws<StorageException>(() => _backend.ListVolumes(Pool()));
        Assert.StartsWith("internal error: Cannot find 'dog' in path", e.Display);
        Assert.Empty(_dog.Ran);
    }

    [Fact]
    public void DogThatNeverAnswersTimesOut()
    {
        // A dog that never hears from its cluster.
        var backend = new SheepdogPoolBackend(new ReplayRunner().Hang($"dog node info -r {At}"), networkLimit: TimeSpan.FromMilliseconds(200));
        var e = Assert.Throws<StorageException>(() => backend.Refresh(Pool()));
        Assert.Equal($"Timed out during operation: dog node info -r {At}: no answer within 0.2 s (KVMSTOR_NETWORK_TIMEOUT)", e.Display);
    }

    [Fact]
    public void EscapedNamesAreUnescaped()
    {
        var vdis = SheepdogOutput.ParseVdiList("= a\\ b\\\\c 0 10 5 0 2024-01-01 00:00 1 3 \n");
        Assert.Equal("a b\\c", Assert.Single(vdis).Name);
    }
}
