using KvmStor.Guests;

namespace KvmStor.Tests.Guests;

public sealed class GuestEngineTests : IDisposable
{
    private readonly GuestHostFixture _f = new();

    public void Dispose() => _f.Dispose();

    private static StorageException Fails(Action action) => Assert.Throws<StorageException>(action);

    [Fact]
    public void DefaultStoreIsBesideThePoolDefinitions()
    {
        Assert.Equal(_f.GuestDirectory, _f.Host.Guests.Store.Directory);
        var info = _f.Host.Guests.Define(GuestSamples.Minimal);
        Assert.Equal("mini", info.Name);
        Assert.True(File.Exists(_f.GuestFile("mini")));
        Assert.Equal(["mini"], _f.Host.Guests.List().Select(g => g.Name));
    }

    [Fact]
    public void GuestDirectoryCanPointElsewhere()
    {
        string libvirtDir = Path.Combine(_f.State.Root, "etc-libvirt-qemu");
        Directory.CreateDirectory(libvirtDir);
        File.WriteAllText(Path.Combine(libvirtDir, "rich.xml"), GuestSamples.Rich);
        _f.Host.Guests.UseDirectory(libvirtDir);
        Assert.Equal(["rich"], _f.Host.Guests.List().Select(g => g.Name));
        _f.Host.Guests.AttachDisk("rich", new DiskAttachRequest { Pool = "images", Volume = "data.raw" });
        Assert.Contains("<source pool='images' volume='data.raw'/>", File.ReadAllText(Path.Combine(libvirtDir, "rich.xml")));
        Assert.False(Directory.Exists(_f.GuestDirectory));
    }

    [Fact]
    public void KvmstorGuestDirEnvironmentVariableChoosesTheStore()
    {
        var paths = _f.State.Paths;
        Assert.Equal("/srv/guests", GuestStore.DefaultDirectory(paths, n => n == "KVMSTOR_GUEST_DIR" ? "/srv/guests" : null));
        Assert.Equal("/etc/kvmstor/qemu", GuestStore.DefaultDirectory(KvmStor.State.StatePaths.ForUri("kvmstor:///system", _ => null), _ => null));
        Assert.Equal("/x/kvmstor/qemu", GuestStore.DefaultDirectory(
            KvmStor.State.StatePaths.ForUri("kvmstor:///session", n => n == "XDG_CONFIG_HOME" ? "/x" : null), _ => null));
    }

    [Fact]
    public void DefineKeepsTheTextAndAddsAUuid()
    {
        _f.Host.Guests.Define(GuestSamples.Minimal);
        string stored = File.ReadAllText(_f.GuestFile("mini"));
        Assert.Matches("^<domain type='kvm'>\n  <name>mini</name>\n  <uuid>[0-9a-f-]{36}</uuid>\n  <memory unit='KiB'>131072</memory>", stored);
        // Defining the stored text again replaces the guest; its uuid stays.
        var again = _f.Host.Guests.Define(stored);
        Assert.Equal(stored, _f.Host.Guests.GetXml("mini"));
        Assert.Equal(_f.Host.Lookup.Guest("mini").Uuid, again.Uuid);
    }

    [Fact]
    public void DefineRefusesNameAndUuidClashes()
    {
        _f.Host.Guests.Define(GuestSamples.Rich);
        string otherUuid = GuestSamples.Rich.Replace("0d3f0e9e-3bd5-4b43-9d0a-3f2c1f1c1a11", "99999999-3bd5-4b43-9d0a-3f2c1f1c1a11");
        Assert.Equal("operation failed: domain 'rich' is already defined with uuid 0d3f0e9e-3bd5-4b43-9d0a-3f2c1f1c1a11",
            Fails(() => _f.Host.Guests.Define(otherUuid)).Display);
        string otherName = GuestSamples.Rich.Replace("<name>rich</name>", "<name>copy</name>");
        Assert.Equal("operation failed: domain 'rich' already exists with uuid 0d3f0e9e-3bd5-4b43-9d0a-3f2c1f1c1a11",
            Fails(() => _f.Host.Guests.Define(otherName)).Display);
        string twoVda = GuestSamples.Minimal.Replace("<devices>", "<devices><disk type='file'><source file='/a'/><target dev='vda'/></disk><disk type='file'><source file='/b'/><target dev='vda'/></disk>");
        Assert.Equal("XML error: target 'vda' duplicated for disk sources '/a' and '/b'", Fails(() => _f.Host.Guests.Define(twoVda)).Display);
        Assert.False(File.Exists(_f.GuestFile("copy")));
    }

    [Fact]
    public void UndefineRemovesTheFileOnly()
    {
        _f.Host.Guests.Define(GuestSamples.Minimal);
        _f.Host.Guests.AttachDisk("mini", new DiskAttachRequest { Pool = "images", Volume = "data.raw" });
        _f.Host.Guests.Undefine("mini");
        Assert.False(File.Exists(_f.GuestFile("mini")));
        Assert.True(File.Exists(Path.Combine(_f.PoolPath, "data.raw")));
        Assert.Equal("Domain not found: no domain with matching name 'mini'", Fails(() => _f.Host.Guests.Undefine("mini")).Display);
    }

    [Fact]
    public void AttachPoolVolumeTakesTheFormatAndNextTarget()
    {
        _f.Host.Guests.Define(GuestSamples.Rich);
        var disk = _f.Host.Guests.AttachDisk("rich", new DiskAttachRequest { Pool = "images", Volume = "disk.qcow2" });
        Assert.Equal(("volume", "vdb", "qcow2", "images", "disk.qcow2"), (disk.Type, disk.TargetDev, disk.DriverType, disk.SourcePool, disk.SourceVolume));
        Assert.Contains("""
                <disk type='volume' device='disk'>
                  <driver name='qemu' type='qcow2'/>
                  <source pool='images' volume='disk.qcow2'/>
                  <target dev='vdb' bus='virtio'/>
                </disk>
            """, File.ReadAllText(_f.GuestFile("rich")));
        var next = _f.Host.Guests.AttachDisk("rich", new DiskAttachRequest { Pool = "images", Volume = "data.raw" });
        Assert.Equal(("vdc", "raw"), (next.TargetDev, next.DriverType));
        var sata = _f.Host.Guests.AttachDisk("rich", new DiskAttachRequest { Source = "/tmp/x.iso", DeviceType = "cdrom", TargetBus = "sata" });
        Assert.Equal(("sda", "cdrom", "file"), (sata.TargetDev, sata.Device, sata.Type));
    }

    [Fact]
    public void AttachThenDetachLeavesTheRichDefinitionAsItWas()
    {
        string original = GuestSamples.Rich.Replace('"', '\'');
        _f.Host.Guests.Define(original);
        _f.Host.Guests.AttachDisk("rich", new DiskAttachRequest { Pool = "images", Volume = "disk.qcow2", Cache = "none", Serial = "S1" });
        _f.Host.Guests.AttachDisk("rich", new DiskAttachRequest { Source = "/tmp/plain.img", Target = "sdb", TargetBus = "scsi", Mode = "readonly" });
        Assert.NotNull(_f.Host.Guests.DetachDisk("rich", "images/disk.qcow2"));
        Assert.NotNull(_f.Host.Guests.DetachDisk("rich", "/tmp/plain.img"));
        Assert.Equal(original, File.ReadAllText(_f.GuestFile("rich")));
        Assert.Null(_f.Host.Guests.DetachDisk("rich", "vdz"));
    }

    [Fact]
    public void AttachWritesEveryVirshOption()
    {
        _f.Host.Guests.Define(GuestSamples.Minimal);
        string xml = _f.Host.Guests.BuildDiskXml("mini", new DiskAttachRequest
        {
            Source = "/var/lib/x.img", Target = "sdc", TargetBus = "scsi", Driver = "qemu", Subdriver = "raw",
            Cache = "writeback", Io = "threads", DeviceType = "lun", Mode = "shareable", SourceType = "block",
            Serial = "SER1", Wwn = "0x5000c50015ea71ac",
        });
        Assert.Equal("""
            <disk type='block' device='lun'>
              <driver name='qemu' type='raw' cache='writeback' io='threads'/>
              <source dev='/var/lib/x.img'/>
              <target dev='sdc' bus='scsi'/>
              <shareable/>
              <serial>SER1</serial>
              <wwn>0x5000c50015ea71ac</wwn>
            </disk>

            """, xml);
        Assert.DoesNotContain("sdc", File.ReadAllText(_f.GuestFile("mini")));
    }

    [Fact]
    public void WithoutDriverOptionsNoDriverElementAndATargetWithoutBusKeepsNone()
    {
        _f.Host.Guests.Define(GuestSamples.Minimal);
        Assert.Equal("<disk type='file' device='disk'>\n  <source file='/a.img'/>\n  <target dev='vdb'/>\n</disk>\n",
            _f.Host.Guests.BuildDiskXml("mini", new DiskAttachRequest { Source = "/a.img", Target = "vdb" }));
        Assert.Contains("<source protocol='rbd' name='rbd/img'>",
            _f.Host.Guests.BuildDiskXml("mini", new DiskAttachRequest { Source = "rbd:rbd/img@10.0.0.1:6789", SourceType = "network" }));
    }

    [Fact]
    public void SourceTypeIsProbedBlockDeviceOrFile()
    {
        _f.Host.Guests.Define(GuestSamples.Minimal);
        string? blockDevice = Directory.EnumerateFileSystemEntries("/dev", "loop*").FirstOrDefault(p => char.IsDigit(p[^1]));
        if (blockDevice is not null)
            Assert.StartsWith("<disk type='block'", _f.Host.Guests.BuildDiskXml("mini", new DiskAttachRequest { Source = blockDevice }));
        Assert.StartsWith("<disk type='file'", _f.Host.Guests.BuildDiskXml("mini", new DiskAttachRequest { Source = "/etc/hostname" }));
    }

    public static TheoryData<DiskAttachRequest, string> BadAttaches => new()
    {
        { new DiskAttachRequest { Pool = "nopool", Volume = "v" }, "Storage pool not found: no storage pool with matching name 'nopool'" },
        { new DiskAttachRequest { Pool = "images", Volume = "missing" }, "Storage volume not found: no storage vol with matching name 'missing'" },
        { new DiskAttachRequest { Pool = "images" }, "invalid argument: --pool and --vol must be given together" },
        { new DiskAttachRequest { Source = "/a", Target = "vda" }, "Requested operation is not valid: target vda already exists" },
        { new DiskAttachRequest { Source = "/a", DeviceType = "cdrom", TargetBus = "virtio" }, "unsupported configuration: disk type 'virtio' of 'vdb' does not support ejectable media" },
        { new DiskAttachRequest { Source = "/a", DeviceType = "lun", TargetBus = "ide" }, "unsupported configuration: disk device='lun' is not supported for bus='ide'" },
        { new DiskAttachRequest { Source = "/a", DeviceType = "floppy", TargetBus = "virtio" }, "XML error: Invalid bus type 'virtio' for floppy disk" },
        { new DiskAttachRequest { Source = "/a", TargetBus = "pci" }, "unsupported configuration: unsupported disk bus 'pci'" },
        { new DiskAttachRequest { Source = "/a", DeviceType = "tape" }, "invalid argument: unknown disk device type 'tape'" },
        { new DiskAttachRequest { Source = "/a", Mode = "rw" }, "invalid argument: No support for rw in command 'attach-disk'" },
        { new DiskAttachRequest { Source = "/a", Cache = "fast" }, "XML error: unknown disk cache mode 'fast'" },
        { new DiskAttachRequest { Source = "/a", Io = "magic" }, "XML error: unknown disk io mode 'magic'" },
        { new DiskAttachRequest { Source = "/a", Wwn = "xyz" }, "XML error: Malformed wwn: xyz" },
        { new DiskAttachRequest { Source = "/a", SourceType = "dir" }, "invalid argument: Unknown source type: 'dir'" },
        { new DiskAttachRequest { Source = "/a", IoThread = "0" }, "invalid argument: Invalid IOThread id value '0'" },
        { new DiskAttachRequest(), "invalid argument: a disk source (path, or --pool and --vol) is required" },
    };

    [Theory]
    [MemberData(nameof(BadAttaches))]
    public void BadAttachLeavesTheDefinitionUnchanged(DiskAttachRequest request, string error)
    {
        string xml = GuestSamples.Minimal.Replace("<devices>", "<devices>\n    <disk type='file'><source file='/v'/><target dev='vda'/></disk>");
        _f.Host.Guests.Define(xml);
        string before = File.ReadAllText(_f.GuestFile("mini"));
        Assert.Equal(error, Fails(() => _f.Host.Guests.AttachDisk("mini", request)).Display);
        Assert.Equal(before, File.ReadAllText(_f.GuestFile("mini")));
    }

    [Fact]
    public void AttachToInactivePoolOrMissingGuestFails()
    {
        _f.Host.Guests.Define(GuestSamples.Minimal);
        _f.Host.Pools.Destroy("images");
        string before = File.ReadAllText(_f.GuestFile("mini"));
        Assert.Equal("Requested operation is not valid: storage pool 'images' is not active",
            Fails(() => _f.Host.Guests.AttachDisk("mini", new DiskAttachRequest { Pool = "images", Volume = "data.raw" })).Display);
        Assert.Equal(before, File.ReadAllText(_f.GuestFile("mini")));
        Assert.Equal("Domain not found: no domain with matching name 'ghost'",
            Fails(() => _f.Host.Guests.AttachDisk("ghost", new DiskAttachRequest { Source = "/a" })).Display);
    }

    [Fact]
    public void GuestsUsingFindsVolumeAndPathDisks()
    {
        _f.Host.Guests.Define(GuestSamples.Minimal);
        _f.Host.Guests.Define(GuestSamples.Rich);
        _f.Host.Guests.AttachDisk("mini", new DiskAttachRequest { Pool = "images", Volume = "data.raw" });
        _f.Host.Guests.AttachDisk("rich", new DiskAttachRequest { Source = Path.Combine(_f.PoolPath, "disk.qcow2"), Subdriver = "qcow2" });

        Assert.Equal([new GuestDiskUse("mini", "vda", "images", "data.raw")], _f.Host.Guests.Using("images", "data.raw"));
        Assert.Equal([new GuestDiskUse("rich", "vdb", "images", "disk.qcow2")], _f.Host.Guests.Using("images", "disk.qcow2"));
        Assert.Equal(2, _f.Host.Guests.Using("images").Count);
        Assert.Empty(_f.Host.Guests.Using("other"));

        var e = Fails(() => _f.Host.Guests.CheckNotUsed("images", "data.raw", force: false));
        Assert.Equal("operation forbidden: storage volume 'data.raw' is used by guest 'mini' (vda); use --force to override", e.Display);
        Assert.StartsWith("operation forbidden: storage pool 'images' is used by guest 'mini' (vda), 'rich' (vdb)",
            Fails(() => _f.Host.Guests.CheckNotUsed("images", null, force: false)).Display);
        _f.Host.Guests.CheckNotUsed("images", "data.raw", force: true);
        _f.Host.Guests.DetachDisk("mini", "vda");
        _f.Host.Guests.CheckNotUsed("images", "data.raw", force: false);
    }
}
