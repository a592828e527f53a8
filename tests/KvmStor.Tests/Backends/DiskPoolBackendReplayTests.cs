using KvmStor.Backends;
using KvmStor.Backends.Disk;
using KvmStor.Host;
using KvmStor.Model;
using KvmStor.Xml;

namespace KvmStor.Tests.Backends;

/// <summary>The disk backend against recorded parted/blkid output: which commands it runs and what it reports.</summary>
public sealed class DiskPoolBackendReplayTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kvmstor-disk-replay-").FullName;
    private readonly ReplayRunner _runner = new();
    private readonly HashSet<string> _nodes = ["/dev/loop1"];

    private static readonly PoolDefinition Gpt = new()
    {
        Type = PoolType.Disk,
        Name = "refdisk",
        Source = new PoolSource { Devices = [new PoolSourceDevice { Path = "/dev/loop1" }], Format = "gpt" },
        Target = new PoolTarget { Path = "/dev" },
    };

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private DiskPoolBackend Backend(string? mounts = null)
    {
        string mountTable = Path.Combine(_dir, "mounts"), swaps = Path.Combine(_dir, "swaps");
        File.WriteAllText(mountTable, mounts ?? "");
        File.WriteAllText(swaps, "Filename\tType\tSize\tUsed\tPriority\n");
        return new DiskPoolBackend(_runner, new DeviceUsage(mountTable, swaps), _nodes.Contains);
    }

    private void Table(string parted, string? blkid = null, params string[] partitions)
    {
        _runner.Answer(PartedCommands.PrintFree("/dev/loop1"), DiskData.Read(parted));
        if (blkid is not null) _runner.Answer(DeviceProbe.BlkidCommand(partitions), DiskData.Read(blkid));
    }

    [Fact]
    public void RefreshReportsLibvirtsTotalsFreeExtentsAndPartitionVolumes()
    {
        _nodes.UnionWith(["/dev/loop1p1", "/dev/loop1p2", "/dev/loop1p3"]);
        Table("gpt-three.parted.txt", "gpt-three.blkid.txt", "/dev/loop1p1", "/dev/loop1p2", "/dev/loop1p3");
        var result = Backend().Refresh(Gpt);
        Assert.Equal((1073724928UL, 209715200UL, 863992320UL), (result.Capacity, result.Allocation, result.Available));
        Assert.Equal([new FreeExtent(209732608, 1073724928)], result.Source!.Devices[0].FreeExtents);
        var p2 = result.Volumes[1];
        Assert.Equal(("loop1p2", "/dev/loop1p2", VolumeType.Block, "linux-swap"), (p2.Name, p2.Key, p2.Type, p2.Target.Format));
        Assert.Equal(new VolumeExtent(104875008, 157303808), p2.SourceDevices[0].Extents[0]);
        Assert.Equal(52428800UL, p2.Allocation);
    }

    [Fact]
    public void UnknownFormatIsDosAtStart()
    {
        var pool = Gpt with { Source = Gpt.Source with { Format = "unknown" } };
        _runner.Answer(DeviceProbe.BlkidCommand("/dev/loop1"), DiskData.Read("lsblk-devices.blkid.txt"));
        Backend().Start(pool);
        Table("dos-empty.parted.txt");
        Assert.Equal("dos", Backend().Refresh(pool).Source!.Format);
    }

    [Fact]
    public void CreateRunsLibvirtsMkpartAndReturnsTheNewPartition()
    {
        Table("gpt-empty.parted.txt");
        var mkpart = PartedCommands.MakePartition("/dev/loop1", "primary", 17408, 104875007);
        _runner.Answer(mkpart, "");
        _runner.OnRun = command =>
        {
            if (command != mkpart.ToString()) return;
            _nodes.UnionWith(["/dev/loop1p1", "/dev/loop1p2", "/dev/loop1p3"]);
            Table("gpt-three.parted.txt", "gpt-three.blkid.txt", "/dev/loop1p1", "/dev/loop1p2", "/dev/loop1p3");
            // Only the new partition is probed afterwards, not every partition of the disk.
            _runner.Answer(DeviceProbe.BlkidCommand("/dev/loop1p1"), DiskData.Read("gpt-three.blkid.txt"));
        };
        var created = Backend().CreateVolume(Gpt, new VolumeDefinition { Name = "loop1p1", Capacity = 100 << 20 }, VolumeCreateFlags.None, null, default);
        Assert.Equal("parted /dev/loop1 mkpart --script primary 17408B 104875007B", mkpart.ToString());
        Assert.Contains(mkpart.ToString(), _runner.Ran);
        Assert.Equal(("loop1p1", 104857600UL), (created.Name, created.Capacity));
    }

    [Fact]
    public void AWrongNameRunsNoParted()
    {
        Table("gpt-empty.parted.txt");
        Assert.Throws<StorageException>(() =>
            Backend().CreateVolume(Gpt, new VolumeDefinition { Name = "anyname", Capacity = 1 << 20 }, VolumeCreateFlags.None, null, default));
        Assert.DoesNotContain(_runner.Ran, c => c.Contains("mkpart"));
    }

    [Fact]
    public void AZeroCapacityIsRefusedBeforeParted()
    {
        var e = Assert.Throws<StorageException>(() =>
            Backend().CreateVolume(Gpt, new VolumeDefinition { Name = "loop1p1", Capacity = 0 }, VolumeCreateFlags.None, null, default));
        Assert.Equal("this function is not supported by the connection driver: volume capacity required for this storage pool", e.Display);
        Assert.Empty(_runner.Ran);
    }

    [Fact]
    public void DeleteRemovesThePartitionNumberNotItsSuffix()
    {
        Table("gpt-three.parted.txt");
        var rm = PartedCommands.Remove("/dev/loop1", 2);
        _runner.Answer(rm, "");
        Backend().DeleteVolume(Gpt, new VolumeDefinition { Name = "loop1p2" }, VolumeDeleteFlags.None);
        Assert.Equal("parted /dev/loop1 rm --script 2", rm.ToString());
        Assert.Contains(rm.ToString(), _runner.Ran);
    }

    [Fact]
    public void AMountedPartitionIsNotDeleted()
    {
        Table("gpt-three.parted.txt");
        var e = Assert.Throws<StorageException>(() => Backend("/dev/loop1p2 /mnt/x ext4 rw 0 0\n")
            .DeleteVolume(Gpt, new VolumeDefinition { Name = "loop1p2" }, VolumeDeleteFlags.None));
        Assert.Equal("Requested operation is not valid: device '/dev/loop1p2' is in use: '/dev/loop1p2' is mounted on /mnt/x", e.Display);
        Assert.DoesNotContain(_runner.Ran, c => c.Contains(" rm "));
    }

    [Fact]
    public void BuildRefusesADeviceWithAPartitionMounted()
    {
        var e = Assert.Throws<StorageException>(() => Backend("/dev/loop1p1 /boot vfat rw 0 0\n").Build(Gpt, PoolBuildFlags.Overwrite));
        Assert.Contains("is mounted on /boot", e.Message);
    }

    [Fact]
    public void BuildWithoutOverwriteRefusesALabelledDevice()
    {
        _runner.Answer(DeviceProbe.BlkidCommand("/dev/loop1"), DiskData.Read("blkid-gpt-label.txt"));
        var e = Assert.Throws<StorageException>(() => Backend().Build(Gpt, PoolBuildFlags.NoOverwrite));
        Assert.Equal("Storage pool already built: Device '/dev/loop1' already formatted using 'gpt'", e.Display);
        Assert.DoesNotContain(_runner.Ran, c => c.Contains("mklabel"));
    }

    [Fact]
    public void MissingPartedNamesTheDebianPackage()
    {
        _runner.Missing.Add("parted");
        var e = Assert.Throws<StorageException>(() => Backend().Refresh(Gpt));
        Assert.Equal("operation failed: Cannot find 'parted' in path: install the Debian package 'parted'", e.Display);
    }

    [Fact]
    public void AMissingDeviceIsLibvirtsError()
    {
        var pool = Gpt with { Source = Gpt.Source with { Devices = [new PoolSourceDevice { Path = "/dev/nothere" }] } };
        var e = Assert.Throws<StorageException>(() => Backend().Start(pool));
        Assert.Equal("invalid argument: device path '/dev/nothere' doesn't exist", e.Display);
        Assert.False(Backend().CheckActive(pool));
    }

    [Fact]
    public void SourceDiscoveryListsWritableDisksWithTheirLabels()
    {
        _runner.Answer(DiskSourceFinder.ListCommand, DiskData.Read("lsblk.txt"));
        _runner.Answer(DeviceProbe.BlkidCommand("/dev/loop0", "/dev/loop1", "/dev/vda"), DiskData.Read("lsblk-devices.blkid.txt"), exitCode: 2);
        string xml = SourcesXml.Format(PoolType.Disk, Backend().FindSources(null));
        Assert.Contains("<device path='/dev/loop1'/>", xml);
        Assert.Contains("<format type='dos'/>", xml);
        Assert.Contains("<device path='/dev/vda'/>", xml);
        Assert.DoesNotContain("zram0", xml);
    }
}
