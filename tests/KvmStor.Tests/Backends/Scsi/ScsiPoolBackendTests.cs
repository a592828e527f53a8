using KvmStor.Backends;
using KvmStor.Backends.Scsi;
using KvmStor.Images;
using KvmStor.Model;
using static KvmStor.Tests.Backends.Scsi.ScsiReplay;

namespace KvmStor.Tests.Backends.Scsi;

/// <summary>The scsi pool against recorded sysfs trees: adapter lookup, rescans, LUN volumes, keys, stable paths, data I/O.</summary>
public sealed class ScsiPoolBackendTests : IDisposable
{
    private readonly RecordedSysfs _sysfs = new();
    private readonly ReplayRunner _runner = Runner();

    public void Dispose() => _sysfs.Dispose();

    private ScsiPoolBackend Backend(TimeSpan? vhbaTimeout = null) => new(_runner, _sysfs.Roots, vhbaTimeout ?? TimeSpan.FromSeconds(5));

    private string HostPath(string devPath) => _sysfs.Roots.OnHost(devPath);

    private void Serial(string devPath, string serial) =>
        _runner.On(ScsiSerial.SerialCommand(HostPath(devPath)).ToString(), 0, serial + "\n");

    [Fact]
    public void RefreshByNameScansTheHostAndListsItsDiskAtTheStablePath()
    {
        _sysfs.Ahci();
        Serial("/dev/disk/by-path/pci-0000:00:1f.2-ata-1", "0QEMU_QEMU_HARDDISK_QM00001");

        var result = Backend().Refresh(Pool(ByName("host0")));

        Assert.Equal("- - -", _sysfs.Read("sys/devices/pci0000:00/0000:00:1f.2/ata1/host0/scsi_host/host0/scan"));
        var volume = Assert.Single(result.Volumes);
        Assert.Equal(("unit:0:0:0", VolumeType.Block, "/dev/disk/by-path/pci-0000:00:1f.2-ata-1", "0QEMU_QEMU_HARDDISK_QM00001"),
            (volume.Name, volume.Type, volume.Target.Path, volume.Key));
        Assert.Equal((8UL << 20, 8UL << 20), (volume.Capacity, volume.Allocation));
        Assert.Equal((8UL << 20, 8UL << 20, 0UL), (result.Capacity, result.Allocation, result.Available));
    }

    [Fact]
    public void ScsiHostNamesAndHostNamesMeanTheSameHost()
    {
        _sysfs.Ahci();
        Serial("/dev/disk/by-id/ata-QEMU_DVD-ROM_QM00003", "QM00003");
        var cdrom = Assert.Single(Backend().ListVolumes(Pool(ByName("scsi_host1"), target: "/dev/disk/by-id")));
        Assert.Equal(("unit:0:0:0", "/dev/disk/by-id/ata-QEMU_DVD-ROM_QM00003", 2UL << 20), (cdrom.Name, cdrom.Target.Path, cdrom.Capacity));
    }

    [Fact]
    public void ParentAddressAndUniqueIdFindTheHostWhateverItsNumber()
    {
        _sysfs.Ahci();
        Serial("/dev/disk/by-path/pci-0000:00:1f.2-ata-2", "QM00003");
        var adapter = new PoolAdapter
        {
            Kind = AdapterKind.ScsiHost, ParentUniqueId = "2", ParentAddress = new PciAddress("0x0000", "0x00", "0x1f", "0x2"),
        };
        var result = Backend().Refresh(Pool(adapter));
        Assert.Equal("- - -", _sysfs.Read("sys/devices/pci0000:00/0000:00:1f.2/ata2/host1/scsi_host/host1/scan"));
        Assert.Equal("/dev/disk/by-path/pci-0000:00:1f.2-ata-2", Assert.Single(result.Volumes).Target.Path);
        Assert.True(Backend().CheckActive(Pool(adapter)));
    }

    [Fact]
    public void ParentAddressWithoutMatchingHostIsLibvirtsError()
    {
        _sysfs.Ahci();
        var adapter = new PoolAdapter
        {
            Kind = AdapterKind.ScsiHost, ParentUniqueId = "9", ParentAddress = new PciAddress("0x0000", "0x00", "0x1f", "0x2"),
        };
        var e = Assert.Throws<StorageException>(() => Backend().Refresh(Pool(adapter)));
        Assert.Equal("XML error: Failed to find scsi_host using PCI '0000:00:1f.2' and unique_id='9'", e.Display);
        Assert.Empty(_runner.Ran);
    }

    [Fact]
    public void UnknownHostIsInactiveAndItsRefreshFailsWithLibvirtsScanError()
    {
        _sysfs.Ahci();
        var pool = Pool(ByName("host9"));
        Assert.False(Backend().CheckActive(pool));
        var e = Assert.Throws<StorageException>(() => Backend().Refresh(pool));
        Assert.Equal($"Could not open '{_sysfs.Sys}/class/scsi_host/host9/scan' to trigger host scan: No such file or directory", e.Display);
        Assert.False(File.Exists(Path.Combine(_sysfs.Sys, "class", "scsi_host", "host9", "scan")));
        Assert.Empty(_runner.Ran);
    }

    [Theory]
    [InlineData("sda")]
    [InlineData("host")]
    [InlineData("hostx1")]
    public void MalformedAdapterNameIsRefused(string name)
    {
        var e = Assert.Throws<StorageException>(() => Backend().Refresh(Pool(ByName(name))));
        Assert.Equal($"internal error: Invalid adapter name '{name}' for SCSI pool", e.Display);
    }

    [Fact]
    public void TargetOutsideDevIsRefusedAndLunsWithoutStableLinkAreSkipped()
    {
        _sysfs.Ahci();
        var e = Assert.Throws<StorageException>(() => Backend().Refresh(Pool(ByName("host0"), target: "/var/lib/libvirt/images")));
        Assert.Equal("invalid argument: unable to use target path '/var/lib/libvirt/images' for dev 'sda'", e.Display);

        Directory.CreateDirectory(Path.Combine(_sysfs.Dev, "disk", "by-uuid"));
        Assert.Empty(Backend().Refresh(Pool(ByName("host0"), target: "/dev/disk/by-uuid")).Volumes);
    }

    [Fact]
    public void TargetDevUsesTheKernelNameAndScsiIdMissingFallsBackToThePath()
    {
        _sysfs.Ahci();
        var runner = new ReplayRunner("none");
        var volume = Assert.Single(new ScsiPoolBackend(runner, _sysfs.Roots, TimeSpan.FromSeconds(1)).ListVolumes(Pool(ByName("host0"), target: "/dev")));
        Assert.Equal(("/dev/sda", "/dev/sda"), (volume.Target.Path, volume.Key));
        Assert.Empty(runner.Ran);
    }

    [Fact]
    public void VhbaLunsAreUnitsOfBusTargetLunWithNpivKeysAndOtherDeviceTypesAreSkipped()
    {
        _sysfs.FcHba().Vhba();
        string lun0 = "/dev/disk/by-path/pci-0000:04:00.1-fc-0x5006016844602198-lun-0";
        string lun1 = "/dev/disk/by-path/pci-0000:04:00.1-fc-0x5006016844602198-lun-1";
        _runner.On(ScsiSerial.ExportCommand(HostPath(lun0)).ToString(), 0, Read("scsi_id-export-sdb.txt"));
        _runner.On(ScsiSerial.ExportCommand(HostPath(lun1)).ToString(), 0, "ID_SCSI=1\nID_TYPE=disk\n");

        var result = Backend().Refresh(Pool(FcAdapter()));

        Assert.Equal("- - -", _sysfs.Read($"sys/devices/{VhbaPath}/host6/scsi_host/host6/scan"));
        Assert.Equal(["unit:0:0:0", "unit:0:0:1"], result.Volumes.Select(v => v.Name));
        Assert.Equal("36006016088d0280017ab8d14dc48e511_PORT1", result.Volumes[0].Key);
        // No serial and target port: libvirt keys the LUN by its path.
        Assert.Equal(lun1, result.Volumes[1].Key);
        Assert.Equal(12UL << 20, result.Capacity);
        Assert.Null(result.Source);
    }

    [Fact]
    public void FcHostWithoutItsVhbaIsInactiveAndRefreshNamesTheWwns()
    {
        _sysfs.FcHba();
        var pool = Pool(FcAdapter());
        Assert.False(Backend().CheckActive(pool));
        var e = Assert.Throws<StorageException>(() => Backend().Refresh(pool));
        Assert.Equal($"XML error: Failed to find SCSI host with wwnn='{VhbaWwnn}', wwpn='{VhbaWwpn}'", e.Display);
    }

    [Fact]
    public void UploadDownloadAndWipeWorkOnTheLunDevice()
    {
        _sysfs.Ahci();
        Serial("/dev/disk/by-path/pci-0000:00:1f.2-ata-1", "QM00001");
        var backend = Backend();
        var pool = Pool(ByName("host0"));
        var volume = backend.FindVolume(pool, "unit:0:0:0")!;
        byte[] data = Enumerable.Range(0, 70000).Select(i => (byte)(i % 251 + 1)).ToArray();

        backend.Upload(pool, volume, new MemoryStream(data), new TransferRange(4096, 0, false), null, default);
        var sda = File.ReadAllBytes(Path.Combine(_sysfs.Dev, "sda"));
        Assert.Equal(8L << 20, sda.Length);
        Assert.Equal(data, sda.AsSpan(4096, data.Length).ToArray());

        var copy = new MemoryStream();
        backend.Download(pool, volume, copy, new TransferRange(4096, (ulong)data.Length, false), null, default);
        Assert.Equal(data, copy.ToArray());

        backend.Wipe(pool, volume, WipeAlgorithm.Zero, null, default);
        Assert.Equal(-1, File.ReadAllBytes(Path.Combine(_sysfs.Dev, "sda")).AsSpan().IndexOfAnyExcept((byte)0));
    }

    [Fact]
    public void UploadLargerThanTheLunFailsWithoutGrowingIt()
    {
        _sysfs.Ahci();
        Serial("/dev/disk/by-path/pci-0000:00:1f.2-ata-2", "QM00003");
        var backend = Backend();
        var pool = Pool(ByName("host1"));
        var volume = backend.FindVolume(pool, "unit:0:0:0")!;
        var e = Assert.Throws<StorageException>(() =>
            backend.Upload(pool, volume, new MemoryStream(new byte[(2 << 20) + 1]), new TransferRange(0, 0, false), null, default));
        Assert.Equal("cannot write to stream: No space left on device", e.Display);
        Assert.Equal(2L << 20, new FileInfo(Path.Combine(_sysfs.Dev, "sr0")).Length);
    }

    [Fact]
    public void LookingUpOneLunAsksScsiIdAboutThatLunOnly()
    {
        _sysfs.FcHba().Vhba();
        string lun1 = "/dev/disk/by-path/pci-0000:04:00.1-fc-0x5006016844602198-lun-1";
        _runner.On(ScsiSerial.ExportCommand(HostPath(lun1)).ToString(), 0, Read("scsi_id-export-sdb.txt"));
        var volume = Backend().FindVolume(Pool(FcAdapter()), "unit:0:0:1");
        Assert.Equal(lun1, volume!.Target.Path);
        Assert.Equal([ScsiSerial.ExportCommand(HostPath(lun1)).ToString()], _runner.Ran);
        Assert.Null(Backend().FindVolume(Pool(FcAdapter()), "unit:0:1:0"));
    }

    [Fact]
    public void APathLookupAsksScsiIdAboutTheFoundLunOnlyAndAKeyLookupStopsAtTheMatch()
    {
        _sysfs.FcHba().Vhba();
        string lun0 = "/dev/disk/by-path/pci-0000:04:00.1-fc-0x5006016844602198-lun-0";
        string lun1 = "/dev/disk/by-path/pci-0000:04:00.1-fc-0x5006016844602198-lun-1";
        _runner.On(ScsiSerial.ExportCommand(HostPath(lun0)).ToString(), 0, Read("scsi_id-export-sdb.txt"));
        _runner.On(ScsiSerial.ExportCommand(HostPath(lun1)).ToString(), 0, "ID_SCSI=1\n");

        Assert.Equal("unit:0:0:1", Backend().FindVolumeByKeyOrPath(Pool(FcAdapter()), lun1)!.Name);
        Assert.Equal([ScsiSerial.ExportCommand(HostPath(lun1)).ToString()], _runner.Ran);
        _runner.Ran.Clear();
        Assert.Equal("unit:0:0:0", Backend().FindVolumeByKeyOrPath(Pool(FcAdapter()), "36006016088d0280017ab8d14dc48e511_PORT1")!.Name);
        Assert.Equal([ScsiSerial.ExportCommand(HostPath(lun0)).ToString()], _runner.Ran);
    }

    [Fact]
    public void WithoutASysfsSizeTheCapacityIsTheDevicesOwnSize()
    {
        _sysfs.Ahci();
        File.Delete(Path.Combine(_sysfs.Sys, "devices", AhciPci, "ata1", "host0", "target0:0:0", "0:0:0:0", "block", "sda", "size"));
        var volume = Assert.Single(new ScsiPoolBackend(new ReplayRunner("none"), _sysfs.Roots, TimeSpan.FromSeconds(1)).ListVolumes(Pool(ByName("host0"))));
        Assert.Equal((8UL << 20, 8UL << 20), (volume.Capacity, volume.Allocation));
    }

    [Fact]
    public void ASysfsWithoutScsiDevicesIsLibvirtsOpenError()
    {
        _sysfs.Ahci();
        Directory.Delete(Path.Combine(_sysfs.Sys, "bus", "scsi", "devices"), recursive: true);
        var e = Assert.Throws<StorageException>(() => Backend().Refresh(Pool(ByName("host0"))));
        Assert.Equal("cannot open directory '/sys/bus/scsi/devices': No such file or directory", e.Display);
    }

    [Fact]
    public void OldKernelsBlockColonLinkNamesTheDevice()
    {
        _sysfs.ScsiHost(3, "pci0000:00/0000:00:10.0", uniqueId: 0, procName: "mptspi");
        string lunDir = Path.Combine(_sysfs.Sys, "devices", "pci0000:00/0000:00:10.0", "host3", "target3:0:2", "3:0:2:0");
        Directory.CreateDirectory(Path.Combine(_sysfs.Sys, "block", "sdd"));
        File.WriteAllText(Path.Combine(_sysfs.Sys, "block", "sdd", "size"), "2048\n");
        Directory.CreateDirectory(lunDir);
        File.WriteAllText(Path.Combine(lunDir, "type"), "0\n");
        File.CreateSymbolicLink(Path.Combine(lunDir, "block:sdd"), "../../../../../../block/sdd");
        File.CreateSymbolicLink(Path.Combine(_sysfs.Sys, "bus", "scsi", "devices", "3:0:2:0"), lunDir);

        var lun = Assert.Single(new ScsiLunScanner(_sysfs.Roots).List(3));
        Assert.Equal(("unit:0:2:0", "sdd", 1UL << 20), (lun.VolumeName, lun.BlockDevice, lun.Size));
    }

    [Theory]
    [InlineData("0:0:0:0", true)]
    [InlineData("10:2:31:4095", true)]
    [InlineData("target0:0:0", false)]
    [InlineData("host0", false)]
    [InlineData("0:0:0:x", false)]
    [InlineData("0:0::0", false)]
    public void LunAddressesAreFourNumbers(string name, bool valid) => Assert.Equal(valid, ScsiLunScanner.TryParseAddress(name, out _));

    [Fact]
    public void CapabilitiesAreLibvirtsScsiRow()
    {
        var caps = Backend().Capabilities;
        Assert.Equal(BackendCapabilities.Check | BackendCapabilities.Start | BackendCapabilities.Stop | BackendCapabilities.Refresh
                     | BackendCapabilities.UploadVolume | BackendCapabilities.DownloadVolume | BackendCapabilities.WipeVolume, caps);
    }
}
