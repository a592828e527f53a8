using KvmStor.Backends;
using KvmStor.Backends.Logical;
using KvmStor.Images;
using KvmStor.Model;

namespace KvmStor.Tests.Backends;

/// <summary>
/// LV operations against replayed lvm: libvirt's lvcreate forms (thick, sparse, snapshot of a backing LV), thin volumes
/// in an LVM thin pool, lvremove with its retry, and wipe/upload/download on a device (an image file stands in for it).
/// </summary>
public sealed class LogicalVolumeReplayTests : IDisposable
{
    private const ulong MiB = 1 << 20;
    private const string Lvs = "lvs --separator # --noheadings --units b --unbuffered --nosuffix --options lv_name,origin,uuid,devices,segtype,stripes,seg_size,vg_extent_size,size,lv_attr,pool_lv,data_percent,origin_size vg0";
    private const string SmallLv = "  small##Sm4llL-v000-0000-0000-0000-0000-000001#/dev/sdb(0)#linear#1#8388608#4194304#8388608#-wi-a-----###\n";
    private const string NewLv = "  v1##N3wLvv-0000-0000-0000-0000-0000-000001#/dev/sdc(700)#linear#1#67108864#4194304#67108864#-wi-a-----###\n";

    private readonly ReplayRunner _lvm = new();
    private readonly LogicalPoolBackend _backend;
    private readonly string _dir = Directory.CreateTempSubdirectory("kvmstor-lv-").FullName;

    public LogicalVolumeReplayTests() => _backend = new LogicalPoolBackend(_lvm);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static PoolDefinition Pool(string target = "/dev/vg0") => new()
    {
        Type = PoolType.Logical,
        Name = "vg0",
        Source = new PoolSource { Name = "vg0", Format = "lvm2", Devices = [new PoolSourceDevice { Path = "/dev/sdb" }] },
        Target = new PoolTarget { Path = target },
    };

    private static VolumeDefinition Volume(string name, ulong capacity, ulong? allocation = null, string? backing = null) => new()
    {
        Name = name,
        Capacity = capacity,
        Allocation = allocation ?? capacity,
        HasAllocation = allocation is not null,
        BackingStore = backing is null ? null : new VolumeTarget { Path = backing },
    };

    private VolumeDefinition Create(VolumeDefinition volume) => _backend.CreateVolume(Pool(), volume, VolumeCreateFlags.None, null, default);

    [Fact]
    public void ThickVolumeIsLvcreateOfTheCapacityInKiB()
    {
        _lvm.Expect("lvcreate --name v1 -L 65536K vg0 --yes").Expect(Lvs, NewLv);
        var created = Create(Volume("v1", 64 * MiB));
        Assert.Equal(("N3wLvv-0000-0000-0000-0000-0000-000001", "/dev/vg0/v1", 64 * MiB), (created.Key, created.Target.Path, created.Capacity));
        _lvm.AssertDone();
    }

    [Fact]
    public void CapacityIsRoundedUpToWholeKiB()
    {
        _lvm.Expect("lvcreate --name v1 -L 2K vg0 --yes").Expect(Lvs, "");
        var created = Create(Volume("v1", 1025));
        Assert.Equal(("/dev/vg0/v1", VolumeType.Block), (created.Target.Path, created.Type));
    }

    [Theory]
    [InlineData(0UL, "1K")]
    [InlineData(5000UL, "5K")]
    public void SparseVolumeIsASnapshotWithVirtualSize(ulong allocation, string cow)
    {
        _lvm.Expect($"lvcreate --name s1 -L {cow} --type snapshot --virtualsize 10485760K vg0 --yes").Expect(Lvs, "");
        Create(Volume("s1", 10240 * MiB, allocation));
        _lvm.AssertDone();
    }

    [Fact]
    public void BackingLvMakesASnapshotOfIt()
    {
        _lvm.ExpectData(Lvs, "lvs-vg0.txt") // is /dev/vg0/base a thin pool? no
            .Expect("lvcreate --name c1 -L 1048576K -s /dev/vg0/base --yes").Expect(Lvs, "");
        Create(Volume("c1", 1024 * MiB, backing: "/dev/vg0/base"));
        _lvm.AssertDone();
    }

    [Fact]
    public void SparseSnapshotOfABackingLv()
    {
        _lvm.ExpectData(Lvs, "lvs-vg0.txt")
            .Expect("lvcreate --name c1 -L 131072K --type snapshot --virtualsize 1048576K -s /dev/vg0/base --yes").Expect(Lvs, "");
        Create(Volume("c1", 1024 * MiB, 128 * MiB, "/dev/vg0/base"));
        _lvm.AssertDone();
    }

    [Theory]
    [InlineData("/dev/vg0/tpool")]
    [InlineData("vg0/tpool")]
    [InlineData("tpool")]
    [InlineData("/dev/mapper/vg0-tpool")]
    public void BackingThinPoolMakesAThinVolumeInIt(string backing)
    {
        _lvm.ExpectData(Lvs, "lvs-vg0.txt")
            .Expect("lvcreate --thin --virtualsize 20971520K --name t3 vg0/tpool --yes")
            .Expect(Lvs, "  t3##Th1nVv-0000-0000-0000-0000-0000-000003##thin#0#21474836480#4194304#21474836480#Vwi-a-tz--#tpool#0.00#\n");
        var created = Create(Volume("t3", 20480 * MiB, backing: backing));
        Assert.Equal((20480 * MiB, 0UL), (created.Capacity, created.Allocation));
        _lvm.AssertDone();
    }

    [Fact]
    public void FailedLvcreateReportsLvmsMessage()
    {
        _lvm.Expect("lvcreate --name v1 -L 65536K vg0 --yes", exitCode: 5, stderr: "  Volume group \"vg0\" has insufficient free space (3 extents): 16 required.\n");
        var e = Assert.Throws<StorageException>(() => Create(Volume("v1", 64 * MiB)));
        Assert.Equal("internal error: Child process (lvcreate --name v1 -L 65536K vg0 --yes) unexpected exit status 5:   Volume group \"vg0\" has insufficient free space (3 extents): 16 required.", e.Display);
        _lvm.AssertDone();
    }

    [Fact]
    public void OnlyLuksEncryptionIsKnownAndItIsRefusedRatherThanIgnored()
    {
        var qcow = Volume("e1", MiB) with { Target = new VolumeTarget { Encryption = new VolumeEncryption { Format = "qcow" } } };
        Assert.Equal("unsupported configuration: storage pool only supports LUKS encrypted volumes",
            Assert.Throws<StorageException>(() => Create(qcow)).Display);
        var luks = Volume("e1", MiB) with { Target = new VolumeTarget { Encryption = new VolumeEncryption { Format = "luks" } } };
        Assert.Throws<StorageException>(() => Create(luks));
        Assert.Empty(_lvm.Ran);
    }

    [Fact]
    public void LookupsByNameKeyAndPath()
    {
        _lvm.ExpectData(Lvs, "lvs-vg0.txt").ExpectData(Lvs, "lvs-vg0.txt").ExpectData(Lvs, "lvs-vg0.txt").ExpectData(Lvs, "lvs-vg0.txt");
        Assert.Equal("snap1", _backend.FindVolume(Pool(), "snap1")?.Name);
        Assert.Null(_backend.FindVolume(Pool(), "parked"));
        Assert.Equal("thin2", _backend.FindVolumeByKeyOrPath(Pool(), "KjIg8x-Nbe3-nNyj-Oq9w-MxEh-h2FD-EEtfjg")?.Name);
        Assert.Equal("grown", _backend.FindVolumeByKeyOrPath(Pool(), "/dev/vg0/grown")?.Name);
    }

    [Fact]
    public void DeleteIsLvremoveOfThePath()
    {
        _lvm.Expect("lvremove -f /dev/vg0/v1");
        _backend.DeleteVolume(Pool(), Volume("v1", MiB) with { Target = new VolumeTarget { Path = "/dev/vg0/v1" } }, VolumeDeleteFlags.None);
        _lvm.AssertDone();
    }

    [Fact]
    public void ThinVolumeIsDeletedLikeAnyLv()
    {
        _lvm.ExpectData(Lvs, "lvs-vg0.txt").Expect("lvremove -f /dev/vg0/thin1");
        var thin = _backend.FindVolume(Pool(), "thin1")!;
        _backend.DeleteVolume(Pool(), thin, VolumeDeleteFlags.None);
        _lvm.AssertDone();
    }

    [Fact]
    public void BusyLvIsDeactivatedAndRemovedAgain()
    {
        _lvm.Expect("lvremove -f /dev/vg0/v1", exitCode: 5, stderr: "  Logical volume vg0/v1 contains a filesystem in use.\n")
            .Expect("lvchange -aln /dev/vg0/v1").Expect("lvremove -f /dev/vg0/v1");
        _backend.DeleteVolume(Pool(), Volume("v1", MiB), VolumeDeleteFlags.None);
        _lvm.AssertDone();
    }

    [Fact]
    public void LvThatStaysOpenCannotBeDeleted()
    {
        _lvm.Expect("lvremove -f /dev/vg0/v1", exitCode: 5).Expect("lvchange -aln /dev/vg0/v1", exitCode: 5, stderr: "  Logical volume vg0/v1 in use.\n");
        var e = Assert.Throws<StorageException>(() => _backend.DeleteVolume(Pool(), Volume("v1", MiB), VolumeDeleteFlags.None));
        Assert.EndsWith("Logical volume vg0/v1 in use.", e.Message);
        _lvm.AssertDone();
    }

    [Fact]
    public void SparseLvIsNotWiped()
    {
        _lvm.ExpectData(Lvs, "lvs-vg0.txt");
        var e = Assert.Throws<StorageException>(() =>
            _backend.Wipe(Pool(), new VolumeDefinition { Name = "sparse1", Target = new VolumeTarget { Path = "/dev/vg0/sparse1" } }, WipeAlgorithm.Zero, null, default));
        Assert.Equal("this function is not supported by the connection driver: logical volume '/dev/vg0/sparse1' is sparse, volume wipe not supported", e.Display);
    }

    private string DeviceFile(string name, byte fill, int size = 8 << 20)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, Enumerable.Repeat(fill, size).ToArray());
        return path;
    }

    [Fact]
    public void WipeOverwritesTheWholeLv()
    {
        string device = DeviceFile("small", 0x5A);
        _lvm.Expect(Lvs, SmallLv);
        long last = 0;
        _backend.Wipe(Pool(_dir), new VolumeDefinition { Name = "small", Target = new VolumeTarget { Path = device } },
            WipeAlgorithm.Nnsa, (done, _) => last = done, default);
        Assert.False(File.ReadAllBytes(device).AsSpan().ContainsAnyExcept((byte)0));
        Assert.Equal(3L * (8 << 20), last);
    }

    [Fact]
    public void UploadAndDownloadUseTheLvDevice()
    {
        string device = DeviceFile("small", 0);
        var volume = new VolumeDefinition { Name = "small", Capacity = 8 * MiB, Target = new VolumeTarget { Path = device } };
        byte[] data = new byte[3 << 20];
        Random.Shared.NextBytes(data);
        _backend.Upload(Pool(_dir), volume, new MemoryStream(data), new TransferRange(MiB, 0, false), null, default);
        var back = new MemoryStream();
        _backend.Download(Pool(_dir), volume, back, new TransferRange(MiB, 3 * MiB, false), null, default);
        Assert.Equal(data, back.ToArray());
        var whole = new MemoryStream();
        _backend.Download(Pool(_dir), volume, whole, new TransferRange(0, 0, false), null, default);
        Assert.Equal(8 << 20, whole.Length);
        Assert.Empty(_lvm.Ran);
    }

    [Fact]
    public void CreateFromARawVolumeCopiesItsContentIntoTheNewLv()
    {
        string source = Path.Combine(_dir, "source.img");
        byte[] data = new byte[4 << 20];
        Random.Shared.NextBytes(data.AsSpan(0, 1 << 20));
        File.WriteAllBytes(source, data);
        string device = DeviceFile("small", 0xFF); // stale data the copy must overwrite, holes included
        _lvm.Expect("lvcreate --name small -L 4096K vg0 --yes").Expect(Lvs, SmallLv);
        var sourceVolume = new VolumeDefinition { Name = "source.img", Capacity = 4 * MiB, Target = new VolumeTarget { Path = source, Format = "raw" } };
        _backend.CreateVolumeFrom(Pool(_dir), Volume("small", 4 * MiB), Pool(_dir), sourceVolume, VolumeCreateFlags.None, null, default);
        Assert.Equal(data, File.ReadAllBytes(device).AsSpan(0, 4 << 20).ToArray());
        _lvm.AssertDone();
    }

    [Fact]
    public void CreateFromIntoAThinPoolWritesOnlyTheData()
    {
        string source = Path.Combine(_dir, "golden.img");
        byte[] data = new byte[8 << 20];
        Random.Shared.NextBytes(data.AsSpan(0, 1 << 20));
        File.WriteAllBytes(source, data); // 1 MiB of data, then 7 MiB of written zeros
        string device = Path.Combine(_dir, "t4");
        using (var f = File.Create(device)) f.SetLength(8 << 20); // a new thin LV: reads as zeros, nothing allocated
        _lvm.ExpectData(Lvs, "lvs-vg0.txt")
            .Expect("lvcreate --thin --virtualsize 8192K --name t4 vg0/tpool --yes")
            .Expect(Lvs, "  t4##Th1nVv-0000-0000-0000-0000-0000-000004##thin#0#8388608#4194304#8388608#Vwi-a-tz--#tpool#0.00#\n");
        var sourceVolume = new VolumeDefinition { Name = "golden.img", Capacity = 8 * MiB, Target = new VolumeTarget { Path = source, Format = "raw" } };
        _backend.CreateVolumeFrom(Pool(_dir), Volume("t4", 8 * MiB, backing: "tpool"), Pool(_dir), sourceVolume, VolumeCreateFlags.None, null, default);
        Assert.Equal(data, File.ReadAllBytes(device));
        Assert.True(KvmStor.Host.FileSystem.Stat(device).AllocatedBytes <= 2 * MiB, "zero blocks were written into the thin volume");
        _lvm.AssertDone();
    }

    [Fact]
    public void FailedCopyRemovesTheNewLv()
    {
        _lvm.Expect("lvcreate --name c2 -L 4096K vg0 --yes").Expect(Lvs, "").Expect($"lvremove -f {_dir}/c2");
        var missing = new VolumeDefinition { Name = "gone.img", Capacity = 4 * MiB, Target = new VolumeTarget { Path = Path.Combine(_dir, "gone.img"), Format = "raw" } };
        var e = Assert.Throws<StorageException>(() =>
            _backend.CreateVolumeFrom(Pool(_dir), Volume("c2", 4 * MiB), Pool(_dir), missing, VolumeCreateFlags.None, null, default));
        Assert.Equal($"cannot copy '{_dir}/gone.img' to '{_dir}/c2': No such file or directory", e.Display);
        _lvm.AssertDone();
    }

    [Fact]
    public void ResizeIsNotOffered()
    {
        Assert.False(_backend.Capabilities.HasFlag(BackendCapabilities.ResizeVolume));
        Assert.True(_backend.Capabilities.HasFlag(BackendCapabilities.WipeVolume | BackendCapabilities.CreateVolumeFrom));
    }
}
