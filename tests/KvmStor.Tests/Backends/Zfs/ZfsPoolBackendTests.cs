using KvmStor.Backends;
using KvmStor.Backends.Zfs;
using KvmStor.Host;
using KvmStor.Images;
using KvmStor.Model;

namespace KvmStor.Tests.Backends.Zfs;

/// <summary>
/// The zfs backend against replayed zfs/zpool output: libvirt's command lines, refresh, zvols (sparse or reserved,
/// volmode=dev when zfs knows it), resize, and data I/O on a regular file standing in for the zvol under a scratch dev root.
/// </summary>
public sealed class ZfsPoolBackendTests : IDisposable
{
    private const ulong GiB = 1UL << 30;
    private const string ListTank = "zfs list -Hp -t volume -r -o name,volsize,refreservation tank";
    private readonly ReplayRunner _zfs = new();
    private readonly string _devRoot = Directory.CreateTempSubdirectory("kvmstor-zfs-").FullName;
    private readonly ZfsPoolBackend _backend;

    public ZfsPoolBackendTests() =>
        _backend = new ZfsPoolBackend(_zfs, _devRoot, new DeviceUsage(Path.Combine(_devRoot, "mounts"), Path.Combine(_devRoot, "swaps")));

    public void Dispose() => Directory.Delete(_devRoot, recursive: true);

    private static PoolDefinition Pool(string name = "tank", params string[] devices) => new()
    {
        Type = PoolType.Zfs,
        Name = "zp",
        Source = new PoolSource { Name = name, Devices = devices.Select(d => new PoolSourceDevice { Path = d }).ToList() },
        Target = new PoolTarget { Path = "/dev/zvol/" + name },
    };

    private static VolumeDefinition Volume(string name, ulong capacity, ulong? allocation = null) => new()
    {
        Name = name,
        Capacity = capacity,
        Allocation = allocation ?? capacity,
        HasAllocation = allocation is not null,
    };

    private static string Recorded(string name) => RecordedOutput.Read("Zfs", name);

    private VolumeDefinition Create(VolumeDefinition volume) => _backend.CreateVolume(Pool(), volume, VolumeCreateFlags.None, null, default);

    [Fact]
    public void RefreshReadsTheZpoolAndItsOwnZvols()
    {
        _zfs.Expect("zpool get -Hp health,size,free,allocated tank", Recorded("zpool-get-tank.txt"))
            .Expect(ListTank, Recorded("zfs-list-volumes-tank.txt"));
        var result = _backend.Refresh(Pool());
        Assert.Equal((107105746944UL, 10737418240UL, 96368328704UL), (result.Capacity, result.Allocation, result.Available));
        // tank/nested/deep belongs to the dataset tank/nested, not to this pool.
        Assert.Equal(["vm1", "thin", "half"], result.Volumes.Select(v => v.Name));
        var vm1 = result.Volumes[0];
        Assert.Equal((VolumeType.Block, "/dev/zvol/tank/vm1", "/dev/zvol/tank/vm1", 20 * GiB, 20 * GiB),
            (vm1.Type, vm1.Key, vm1.Target.Path, vm1.Capacity, vm1.Allocation));
        Assert.Equal((10 * GiB, 0UL), (result.Volumes[1].Capacity, result.Volumes[1].Allocation));
        Assert.Equal((8 * GiB, 4 * GiB), (result.Volumes[2].Capacity, result.Volumes[2].Allocation));
        _zfs.AssertDone();
    }

    [Fact]
    public void DatasetPoolAsksItsZpoolForSizes()
    {
        _zfs.Expect("zpool get -Hp health,size,free,allocated tank", Recorded("zpool-get-tank.txt"))
            .Expect("zfs list -Hp -t volume -r -o name,volsize,refreservation tank/nested", Recorded("zfs-list-volumes-tank.txt"));
        var result = _backend.Refresh(Pool("tank/nested"));
        var deep = Assert.Single(result.Volumes);
        Assert.Equal(("deep", "/dev/zvol/tank/nested/deep"), (deep.Name, deep.Target.Path));
        _zfs.AssertDone();
    }

    [Fact]
    public void KeyOrPathLookupRunsZfsOnlyForPathsUnderTheTarget()
    {
        Assert.Null(_backend.FindVolumeByKeyOrPath(Pool(), "/var/lib/libvirt/images/vm1"));
        Assert.Null(_backend.FindVolumeByKeyOrPath(Pool(), "/dev/zvol/tank/nested/deep"));
        Assert.Empty(_zfs.Ran);
        _zfs.Expect(ListTank, Recorded("zfs-list-volumes-tank.txt"));
        Assert.Equal("thin", _backend.FindVolumeByKeyOrPath(Pool(), "/dev/zvol/tank/thin")!.Name);
        _zfs.AssertDone();
    }

    [Fact]
    public void CheckActiveAsksWhetherTheDatasetExists()
    {
        _zfs.Expect("zfs list -H -t filesystem -o name tank", "tank\n")
            .Expect("zfs list -H -t filesystem -o name tank", "", exitCode: 1, stderr: "cannot open 'tank': dataset does not exist");
        Assert.True(_backend.CheckActive(Pool()));
        Assert.False(_backend.CheckActive(Pool()));
        _zfs.AssertDone();
    }

    [Fact]
    public void BuildMakesAZpoolOnTheDevicesOrADatasetForANameWithASlash()
    {
        _zfs.Expect("zpool create tank /dev/sdb /dev/sdc")
            .Expect("zpool create -f tank /dev/sdb")
            .Expect("zfs create -o mountpoint=none tank/vms");
        _backend.Build(Pool("tank", "/dev/sdb", "/dev/sdc"), PoolBuildFlags.None);
        _backend.Build(Pool("tank", "/dev/sdb"), PoolBuildFlags.Overwrite);
        _backend.Build(Pool("tank/vms"), PoolBuildFlags.None);
        _zfs.AssertDone();
    }

    [Fact]
    public void BuildOfAZpoolWithoutDevicesIsRefused()
    {
        var e = Assert.Throws<StorageException>(() => _backend.Build(Pool(), PoolBuildFlags.None));
        Assert.Equal("Requested operation is not valid: missing source devices", e.Display);
        Assert.Empty(_zfs.Ran);
    }

    [Fact]
    public void MountedDeviceNeverJoinsAZpool()
    {
        File.WriteAllText(Path.Combine(_devRoot, "mounts"), "/dev/sdc1 /srv ext4 rw 0 0\n");
        var e = Assert.Throws<StorageException>(() => _backend.Build(Pool("tank", "/dev/sdb", "/dev/sdc"), PoolBuildFlags.Overwrite));
        Assert.Equal("Requested operation is not valid: device '/dev/sdc' is in use: '/dev/sdc1' is mounted on /srv", e.Display);
        Assert.Empty(_zfs.Ran);
    }

    [Fact]
    public void DeleteDestroysTheZpoolOrTheDatasetRecursively()
    {
        _zfs.Expect("zpool destroy tank").Expect("zfs destroy -r tank/vms");
        _backend.Delete(Pool());
        _backend.Delete(Pool("tank/vms"));
        _zfs.AssertDone();
    }

    [Theory]
    [InlineData("tank*vms", "'*' is not allowed")]
    [InlineData("tank/v%1", "'%' is not allowed")]
    [InlineData("tank\tvms", "'\\x09' is not allowed")]
    [InlineData("tank;rm", "';' is not allowed")]
    [InlineData("tank@snap", "'@' is not allowed")]
    [InlineData("tank//vms", "empty component")]
    [InlineData("tank/", "empty component")]
    [InlineData("1tank", "must begin with a letter")]
    [InlineData("mirror0", "reserved")]
    [InlineData("spares", "reserved")]
    [InlineData("log", "reserved")]
    [InlineData("c0t0d0", "reserved")]
    [InlineData("tank/..", "not a valid component")]
    public void InvalidNamesAreRefusedBeforeAnythingRuns(string name, string reason)
    {
        var e = Assert.Throws<StorageException>(() => _backend.Build(Pool(name, "/dev/sdb"), PoolBuildFlags.None));
        Assert.StartsWith($"invalid argument: invalid ZFS name '{name}': ", e.Display);
        Assert.Contains(reason, e.Display);
        Assert.Throws<StorageException>(() => _backend.Refresh(Pool(name)));
        Assert.Throws<StorageException>(() => _backend.CheckActive(Pool(name)));
        Assert.Empty(_zfs.Ran);
    }

    [Theory]
    [InlineData("logs")]
    [InlineData("tank/vm disks")]
    [InlineData("Tank_1:a.b-c")]
    [InlineData("ca")]
    public void NamesZfsAcceptsArePassedOn(string name)
    {
        _zfs.Expect($"zfs list -H -t filesystem -o name {(name.Contains(' ') ? $"'{name}'" : name)}", name + "\n");
        Assert.True(_backend.CheckActive(Pool(name)));
        _zfs.AssertDone();
    }

    [Fact]
    public void InvalidVolumeNameIsRefusedBeforeAnythingRuns()
    {
        var e = Assert.Throws<StorageException>(() => Create(Volume("bad/name?", GiB)));
        Assert.Equal("invalid argument: invalid ZFS name 'bad/name?': '/' is not allowed (only letters, digits, space and _ - : . are)", e.Display);
        Assert.Empty(_zfs.Ran);
    }

    [Fact]
    public void ThickZvolWithVolmodeWhereZfsKnowsIt()
    {
        _zfs.Expect("zfs get", exitCode: 2, stderr: Recorded("zfs-get-usage-volmode.txt"))
            .Expect("zfs create -o volmode=dev -V 1048576K tank/vm2")
            .Expect(ListTank, "tank/vm2\t1073741824\t1107296256\n")
            // The probe runs once per backend.
            .Expect("zfs create -o volmode=dev -V 1K tank/tiny")
            .Expect(ListTank, "");
        var created = Create(Volume("vm2", GiB));
        Assert.Equal(("/dev/zvol/tank/vm2", GiB, GiB), (created.Target.Path, created.Capacity, created.Allocation));
        var tiny = Create(Volume("tiny", 100));
        Assert.Equal("/dev/zvol/tank/tiny", tiny.Key);
        _zfs.AssertDone();
    }

    [Fact]
    public void SparseZvolReservesTheAllocationWithoutVolmodeOnOlderZfs()
    {
        _zfs.Expect("zfs get", exitCode: 2, stderr: Recorded("zfs-get-usage-old.txt"))
            .Expect("zfs create -s -o refreservation=524289K -V 2097152K tank/thin")
            .Expect(ListTank, "tank/thin\t2147483648\t536871936\n");
        var created = Create(Volume("thin", 2 * GiB, 512UL * 1024 * 1024 + 1));
        Assert.Equal(536871936UL, created.Allocation);
        _zfs.AssertDone();
    }

    [Fact]
    public void DeleteVolumeIsZfsDestroy()
    {
        _zfs.Expect("zfs destroy tank/vm1");
        _backend.DeleteVolume(Pool(), Volume("vm1", GiB), VolumeDeleteFlags.None);
        _zfs.AssertDone();
    }

    [Fact]
    public void ResizeRoundsUpToTheVolumeBlockSize()
    {
        _zfs.Expect("zfs get -Hp -o value volblocksize tank/vm1", "16384\n")
            .Expect("zfs set volsize=21474852864 tank/vm1");
        _backend.ResizeVolume(Pool(), Volume("vm1", 20 * GiB), 20 * GiB + 1, VolumeResizeFlags.None);
        _zfs.AssertDone();
    }

    [Fact]
    public void MissingZfsNamesTheDebianPackage()
    {
        _zfs.Missing.Add("zpool");
        var e = Assert.Throws<StorageException>(() => _backend.Delete(Pool()));
        Assert.Equal("internal error: Cannot find 'zpool' in path: ZFS tools are not installed (install the Debian package zfsutils-linux, from contrib)", e.Display);
    }

    [Fact]
    public void UploadDownloadAndWipeUseTheZvolNodeUnderTheDevRoot()
    {
        string node = Path.Combine(_devRoot, "zvol", "tank", "vm1");
        Directory.CreateDirectory(Path.GetDirectoryName(node)!);
        File.WriteAllBytes(node, new byte[8192]);
        var volume = Volume("vm1", 8192) with { Target = new VolumeTarget { Path = "/dev/zvol/tank/vm1" } };
        var data = Enumerable.Range(0, 4096).Select(i => (byte)(i % 251 + 1)).ToArray();

        _backend.Upload(Pool(), volume, new MemoryStream(data), new TransferRange(1024, 0, false), null, default);
        var written = File.ReadAllBytes(node);
        Assert.Equal(data, written[1024..5120]);
        Assert.Equal(8192, written.Length);

        var output = new MemoryStream();
        _backend.Download(Pool(), volume, output, new TransferRange(1024, 4096, false), null, default);
        Assert.Equal(data, output.ToArray());

        _backend.Wipe(Pool(), volume, WipeAlgorithm.Zero, null, default);
        Assert.All(File.ReadAllBytes(node), b => Assert.Equal(0, b));
        Assert.Empty(_zfs.Ran);
    }

    private string Node(string name, int length)
    {
        string node = Path.Combine(_devRoot, "zvol", "tank", name);
        Directory.CreateDirectory(Path.GetDirectoryName(node)!);
        File.WriteAllBytes(node, new byte[length]);
        return node;
    }

    [Fact]
    public void CloneCopiesTheSourceIntoANewZvol()
    {
        string source = Path.Combine(_devRoot, "src.raw");
        var data = Enumerable.Range(0, 65536).Select(i => (byte)(i % 253 + 1)).ToArray();
        File.WriteAllBytes(source, data);
        // The zvol node appears when zfs creates the zvol; here it is made beforehand.
        string node = Node("copy", 131072);
        _zfs.Expect("zfs get", exitCode: 2, stderr: Recorded("zfs-get-usage-volmode.txt"))
            .Expect("zfs create -o volmode=dev -V 128K tank/copy")
            .Expect(ListTank, "tank/copy\t131072\t139264\n");
        var sourceVolume = Volume("src.raw", 65536) with { Target = new VolumeTarget { Path = source, Format = "raw" } };
        var created = _backend.CreateVolumeFrom(Pool(), Volume("copy", 131072), Pool(), sourceVolume, VolumeCreateFlags.None, null, default);
        Assert.Equal("/dev/zvol/tank/copy", created.Target.Path);
        var copied = File.ReadAllBytes(node);
        Assert.Equal(data, copied[..65536]);
        Assert.All(copied[65536..], b => Assert.Equal(0, b));
        _zfs.AssertDone();
    }

    [Fact]
    public void FailedCloneDestroysTheNewZvol()
    {
        _zfs.Expect("zfs get", exitCode: 2, stderr: Recorded("zfs-get-usage-old.txt"))
            .Expect("zfs create -V 64K tank/copy")
            .Expect(ListTank, "tank/copy\t65536\t69632\n")
            .Expect("zfs destroy tank/copy");
        var missing = Volume("gone.raw", 65536) with { Target = new VolumeTarget { Path = Path.Combine(_devRoot, "gone.raw") } };
        var e = Assert.Throws<StorageException>(() =>
            _backend.CreateVolumeFrom(Pool(), Volume("copy", 65536), Pool(), missing, VolumeCreateFlags.None, null, default));
        Assert.Contains("No such file or directory", e.Display);
        _zfs.AssertDone();
    }

    [Fact]
    public void UploadToAMissingZvolNamesTheNode()
    {
        var volume = Volume("gone", 8192) with { Target = new VolumeTarget { Path = "/dev/zvol/tank/gone" } };
        var e = Assert.Throws<StorageException>(() =>
            _backend.Upload(Pool(), volume, new MemoryStream([1]), new TransferRange(0, 0, false), null, default));
        Assert.Contains("cannot open volume", e.Display);
        Assert.Contains("No such file or directory", e.Display);
    }
}
