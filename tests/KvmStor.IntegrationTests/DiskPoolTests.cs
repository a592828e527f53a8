using System.Text.RegularExpressions;
using KvmStor.Backends;
using KvmStor.Engine;
using KvmStor.Images;
using KvmStor.Model;
using KvmStor.State;

namespace KvmStor.IntegrationTests;

/// <summary>Disk pools on real loop devices (root): parted labels and partitions, compared with libvirt 9.0's output.</summary>
public sealed class DiskPoolTests : IDisposable
{
    private const ulong MiB = 1 << 20;
    private readonly string _state = Directory.CreateTempSubdirectory("kvmstor-diskstate-").FullName;
    private readonly DiskPoolLoopDevice _loop = new();
    private readonly StorageHost _host;

    public DiskPoolTests()
    {
        var paths = new StatePaths(StatePaths.SessionUri, Path.Combine(_state, "config"), Path.Combine(_state, "config", "autostart"), Path.Combine(_state, "run"));
        _host = new StorageHost(paths, BackendRegistry.CreateDefault());
    }

    public void Dispose()
    {
        _loop.Dispose();
        try { Directory.Delete(_state, recursive: true); } catch (IOException) { }
    }

    private string Define(string name, string format) =>
        _host.Pools.Define($"<pool type='disk'><name>{name}</name><source><device path='{_loop.Device}'/><format type='{format}'/></source><target><path>/dev</path></target></pool>").Name;

    private VolumeHandle Create(string pool, string name, ulong bytes, string? format = null) =>
        _host.Volumes.Create(pool, $"<volume><name>{name}</name><capacity unit='bytes'>{bytes}</capacity>"
            + (format is null ? "" : $"<target><format type='{format}'/></target>") + "</volume>", VolumeCreateFlags.None);

    private static string Golden(string file) =>
        File.ReadAllText(Path.Combine(ConformanceRoot(), "libvirt-9.0-outputs", file));

    private static string ConformanceRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "..", "shared", "conformance");
            if (Directory.Exists(candidate)) return candidate;
        }
        return "/work/shared/conformance";
    }

    /// <summary>Our loop device stands for libvirt's loop1; uuid and timestamps differ by nature; virsh adds a blank line.</summary>
    private string Normalise(string xml) =>
        Regex.Replace(Regex.Replace(xml.Replace(_loop.BaseName, "loop1"), "<uuid>.*</uuid>", "<uuid/>"),
            @"\s*<timestamps>.*?</timestamps>", "", RegexOptions.Singleline).TrimEnd('\n');

    private string PartedPrint() => DiskPoolLoopDevice.Run("parted", "-m", "-s", _loop.Device, "unit", "B", "print");

    [Fact]
    public void GptPoolMatchesLibvirtAndManagesPartitions()
    {
        string pool = Define("refdisk", "gpt");
        _host.Pools.Build(pool, PoolBuildFlags.None);
        var again = Assert.Throws<StorageException>(() => _host.Pools.Build(pool, PoolBuildFlags.NoOverwrite));
        Assert.Equal($"Storage pool already built: Device '{_loop.Device}' already formatted using 'gpt'", again.Display);
        _host.Pools.Build(pool, PoolBuildFlags.Overwrite);
        _host.Pools.Start(pool, PoolBuildFlags.None);

        var p1 = Create(pool, _loop.BaseName + "p1", 100 * MiB);
        Assert.Equal(Normalise(Golden("vol-disk-gpt-partition.dumpxml.xml")), Normalise(_host.Volumes.GetXml(_host.Lookup.VolumeByName(pool, p1.Name))));
        _host.Pools.Refresh(pool);
        Assert.Equal(Normalise(Golden("pool-disk-gpt-loop.dumpxml.xml")), Normalise(_host.Pools.GetXml(pool, inactive: false)));

        // A wrong name fails before parted runs: no orphan partition (libvirt 9.0 leaves one).
        var wrong = Assert.Throws<StorageException>(() => Create(pool, "anyname", 50 * MiB));
        Assert.Equal($"invalid argument: invalid partition name 'anyname', expected '{_loop.BaseName}p2'", wrong.Display);
        Assert.DoesNotContain("\n2:", PartedPrint());

        Create(pool, _loop.BaseName + "p2", 50 * MiB, "linux-swap");
        Create(pool, _loop.BaseName + "p3", 50 * MiB, "fat32");
        Create(pool, _loop.BaseName + "p4", 20 * MiB, "linux");
        Create(pool, _loop.BaseName + "p5", 10 * MiB, "linux-lvm");
        Create(pool, _loop.BaseName + "p6", 10 * MiB, "linux-raid");
        var formats = _host.Volumes.List(pool).ToDictionary(v => v.Name, v => v.Target.Format);
        Assert.Equal("linux-swap", formats[_loop.BaseName + "p2"]);
        Assert.Equal("fat32", formats[_loop.BaseName + "p3"]);
        Assert.Equal("none", formats[_loop.BaseName + "p4"]);
        Assert.Equal("linux-lvm", formats[_loop.BaseName + "p5"]);
        Assert.Equal("linux-raid", formats[_loop.BaseName + "p6"]);

        var resize = Assert.Throws<StorageException>(() => _host.Volumes.Resize(_host.Lookup.VolumeByName(pool, p1.Name), 200 * MiB, VolumeResizeFlags.None));
        Assert.Equal("this function is not supported by the connection driver: storage pool does not support changing of volume capacity", resize.Display);

        // vol-delete of p2 on a loop device removes partition number 2 (libvirt 9.0 passes "p2" to parted and fails).
        _host.Volumes.Delete(_host.Lookup.VolumeByName(pool, _loop.BaseName + "p2"), VolumeDeleteFlags.None);
        Assert.False(File.Exists(_loop.Partition(2)));
        Assert.DoesNotContain("\n2:", PartedPrint());
        Assert.Contains("\n3:", PartedPrint());
        Assert.Equal(5, _host.Volumes.List(pool).Count);

        _host.Pools.Destroy(pool);
        _host.Pools.Delete(pool);
        Assert.Contains("unrecognised disk label", RunFailing("parted", "-s", _loop.Device, "print"));
        _host.Pools.Undefine(pool);
    }

    [Fact]
    public void DosPoolAlignsLikeLibvirtAndMakesLogicalPartitions()
    {
        string pool = Define("refdos", "dos");
        _host.Pools.Build(pool, PoolBuildFlags.None);
        _host.Pools.Start(pool, PoolBuildFlags.None);

        var p1 = Create(pool, _loop.BaseName + "p1", 100 * MiB);
        Assert.Equal(new VolumeExtentPair(1024, 104970240), Extent(p1));
        var p2 = Create(pool, _loop.BaseName + "p2", 100 * MiB, "extended");
        Assert.Equal(Normalise(Golden("vol-disk-dos-extended.dumpxml.xml")), Normalise(_host.Volumes.GetXml(_host.Lookup.VolumeByName(pool, p2.Name))));

        // libvirt's pool-disk-dos-loop output has the same logical free extent, allocation and available; it was taken
        // right after vol-create (a partial update that drops the primary free space after the extended partition).
        _host.Pools.Refresh(pool);
        string afterExtended = _host.Pools.GetXml(pool, inactive: false);
        Assert.Contains("<allocation unit='bytes'>104969216</allocation>", afterExtended);
        Assert.Contains($"<device path='{_loop.Device}'>\n      <freeExtent start='104971264' end='209940480'/>\n      <freeExtent start='209940480' end='1073741824'/>\n    </device>", afterExtended);

        // libvirt 9.0 refused this name ("expected loop1p3") and left a primary partition behind.
        var p5 = Create(pool, _loop.BaseName + "p5", 50 * MiB, "linux");
        Assert.True(File.Exists(_loop.Partition(5)));
        Assert.InRange(Extent(p5).Start, 104970240UL, 209940480UL);
        var p6 = Create(pool, _loop.BaseName + "p6", 20 * MiB, "linux-swap");
        Assert.Equal("linux-swap", _host.Lookup.VolumeByName(pool, p6.Name).Volume.Target.Format);
        var p7 = Create(pool, _loop.BaseName + "p7", 10 * MiB, "linux-lvm");
        Assert.Equal("linux-lvm", _host.Lookup.VolumeByName(pool, p7.Name).Volume.Target.Format);
        var p3 = Create(pool, _loop.BaseName + "p3", 50 * MiB, "fat16");
        Assert.Equal("fat16", _host.Lookup.VolumeByName(pool, p3.Name).Volume.Target.Format);
        Assert.Equal(209940480UL, Extent(p3).Start);

        _host.Pools.Refresh(pool);
        string xml = _host.Pools.GetXml(pool, inactive: false);
        Assert.Contains("<format type='dos'/>", xml);
        Assert.Contains("<freeExtent start=", xml);

        var wipeExtended = Assert.Throws<StorageException>(() => _host.Volumes.Wipe(_host.Lookup.VolumeByName(pool, p2.Name), WipeAlgorithm.Zero));
        Assert.Equal($"this function is not supported by the connection driver: cannot wipe extended partition '{_loop.Partition(2)}'", wipeExtended.Display);

        _host.Volumes.Delete(_host.Lookup.VolumeByName(pool, p5.Name), VolumeDeleteFlags.None);
        // parted renumbers logical partitions: the former p6 and p7 are now p5 and p6.
        Assert.Equal([_loop.BaseName + "p1", _loop.BaseName + "p2", _loop.BaseName + "p3", _loop.BaseName + "p5", _loop.BaseName + "p6"],
            _host.Volumes.List(pool).Select(v => v.Name).ToArray());
    }

    [Theory]
    [InlineData("dvh")]
    [InlineData("mac")]
    [InlineData("bsd")]
    [InlineData("pc98")]
    [InlineData("sun")]
    public void OtherLabelsAreBuiltProbedAndPartitioned(string label)
    {
        string pool = Define("other", label);
        _host.Pools.Build(pool, PoolBuildFlags.None);
        var again = Assert.Throws<StorageException>(() => _host.Pools.Build(pool, PoolBuildFlags.None));
        Assert.Equal($"Storage pool already built: Device '{_loop.Device}' already formatted using '{label}'", again.Display);
        _host.Pools.Start(pool, PoolBuildFlags.None);
        // A mac label's partition map is partition 1 and a dvh label's volume header partition 9: the first volume
        // takes the lowest number parted has not used.
        var taken = _host.Volumes.List(pool).Select(v => v.Name).ToHashSet();
        int next = Enumerable.Range(1, 16).First(n => !taken.Contains(_loop.BaseName + "p" + n));
        var made = Create(pool, _loop.BaseName + "p" + next, 10 * MiB);
        Assert.True(File.Exists(made.Volume.Target.Path));
        Assert.True(made.Volume.Capacity >= 10 * MiB);
    }

    [Fact]
    public void ConcurrentDeletesLoseNoUpdate()
    {
        string pool = Define("parallel", "gpt");
        _host.Pools.Start(pool, PoolBuildFlags.Build);
        for (int n = 1; n <= 8; n++) Create(pool, _loop.BaseName + "p" + n, 4 * MiB);
        // Each parted run rewrites the whole table: without the per-disk lock, parallel removals undo each other.
        var volumes = _host.Volumes.List(pool).Select(v => _host.Lookup.VolumeByName(pool, v.Name)).ToList();
        Parallel.ForEach(volumes, new ParallelOptions { MaxDegreeOfParallelism = 8 }, v => _host.Volumes.Delete(v, VolumeDeleteFlags.None));
        Assert.Empty(_host.Volumes.List(pool));
        Assert.DoesNotContain("\n1:", PartedPrint());
    }

    [Fact]
    public void UploadDownloadAndWipeWorkOnAPartition()
    {
        string pool = Define("updown", "gpt");
        _host.Pools.Start(pool, PoolBuildFlags.Build);
        var p1 = Create(pool, _loop.BaseName + "p1", 8 * MiB);
        var data = new byte[3 * MiB];
        new Random(7).NextBytes(data);
        _host.Volumes.Upload(p1, new MemoryStream(data), new TransferRange(MiB, 0, false));
        var back = new MemoryStream();
        _host.Volumes.Download(p1, back, new TransferRange(MiB, (ulong)data.Length, false));
        Assert.Equal(data, back.ToArray());

        // vol-clone into a new partition copies the content.
        var clone = _host.Volumes.CreateFrom(pool, $"<volume><name>{_loop.BaseName}p2</name><capacity unit='bytes'>0</capacity></volume>", p1, VolumeCreateFlags.None);
        Assert.Equal(8 * MiB, clone.Volume.Capacity);
        var copied = new MemoryStream();
        _host.Volumes.Download(clone, copied, new TransferRange(MiB, (ulong)data.Length, false));
        Assert.Equal(data, copied.ToArray());

        _host.Volumes.Wipe(p1, WipeAlgorithm.Zero);
        var wiped = new MemoryStream();
        _host.Volumes.Download(p1, wiped, new TransferRange(0, 0, false));
        Assert.Equal(8 * (int)MiB, wiped.Length);
        Assert.All(wiped.ToArray(), b => Assert.Equal(0, b));
    }

    [Fact]
    public void StartAndBuildProbeTheDeviceWithLibvirtsMessages()
    {
        string pool = Define("probe", "dos");
        var start = Assert.Throws<StorageException>(() => _host.Pools.Start(pool, PoolBuildFlags.None));
        Assert.Equal($"Storage pool probe failed: Device '{_loop.Device}' is unrecognized, requires build", start.Display);

        DiskPoolLoopDevice.Run("parted", "-s", _loop.Device, "mklabel", "gpt");
        var mismatch = Assert.Throws<StorageException>(() => _host.Pools.Start(pool, PoolBuildFlags.None));
        Assert.Equal($"Requested operation is not valid: Format of device '{_loop.Device}' does not match the expected format 'dos'", mismatch.Display);
        var noOverwrite = Assert.Throws<StorageException>(() => _host.Pools.Build(pool, PoolBuildFlags.NoOverwrite));
        Assert.Equal($"Storage pool already built: Format of device '{_loop.Device}' does not match the expected format 'dos', forced overwrite is necessary", noOverwrite.Display);
        Assert.Contains(":gpt:", PartedPrint());

        _host.Pools.Build(pool, PoolBuildFlags.Overwrite);
        Assert.Contains(":msdos:", PartedPrint());
        _host.Pools.Start(pool, PoolBuildFlags.None);

        string sources = _host.Pools.FindSources("disk", null);
        Assert.Contains($"<device path='{_loop.Device}'/>\n    <format type='dos'/>", sources);

        var conflict = Assert.Throws<StorageException>(() => Define("second", "gpt"));
        Assert.Equal("operation failed: Storage source conflict with pool: 'probe'", conflict.Display);
    }

    [Fact]
    public void AMountedPartitionIsNeverDeletedOrWiped()
    {
        string pool = Define("busy", "gpt");
        _host.Pools.Start(pool, PoolBuildFlags.Build);
        var p1 = Create(pool, _loop.BaseName + "p1", 16 * MiB);
        DiskPoolLoopDevice.Run("mkfs.ext2", "-q", _loop.Partition(1));
        string mountPoint = Directory.CreateDirectory(Path.Combine(_loop.Directory, "mnt")).FullName;
        DiskPoolLoopDevice.Run("mount", _loop.Partition(1), mountPoint);
        try
        {
            var delete = Assert.Throws<StorageException>(() => _host.Volumes.Delete(p1, VolumeDeleteFlags.None));
            Assert.Equal($"Requested operation is not valid: device '{_loop.Partition(1)}' is in use: '{_loop.Partition(1)}' is mounted on {mountPoint}", delete.Display);
            Assert.Throws<StorageException>(() => _host.Volumes.Wipe(p1, WipeAlgorithm.Zero));
            _host.Pools.Destroy(pool);
            Assert.Throws<StorageException>(() => _host.Pools.Build(pool, PoolBuildFlags.Overwrite));
            Assert.Throws<StorageException>(() => _host.Pools.Delete(pool));
            Assert.Contains("\n1:", PartedPrint());
        }
        finally
        {
            DiskPoolLoopDevice.Run("umount", mountPoint);
        }
    }

    private static string RunFailing(string program, params string[] args)
    {
        try { return DiskPoolLoopDevice.Run(program, args); }
        catch (InvalidOperationException e) { return e.Message; }
    }

    private static VolumeExtentPair Extent(VolumeHandle v) =>
        new(v.Volume.SourceDevices[0].Extents[0].Start, v.Volume.SourceDevices[0].Extents[0].End);

    private readonly record struct VolumeExtentPair(ulong Start, ulong End);
}
