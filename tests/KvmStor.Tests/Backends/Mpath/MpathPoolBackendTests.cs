using KvmStor.Backends;
using KvmStor.Backends.Mpath;
using KvmStor.Images;
using KvmStor.Model;
using KvmStor.Tests.Backends.Scsi;

namespace KvmStor.Tests.Backends.Mpath;

/// <summary>The mpath pool against recorded dmsetup output and a recorded /dev/mapper.</summary>
public sealed class MpathPoolBackendTests : IDisposable
{
    private readonly RecordedSysfs _host = new();
    private readonly ReplayRunner _runner = ScsiReplay.Runner();

    private static readonly PoolDefinition Pool = new()
    {
        Type = PoolType.Mpath,
        Name = "mpath",
        Source = new PoolSource(),
        Target = new PoolTarget { Path = "/dev/mapper" },
    };

    public void Dispose() => _host.Dispose();

    private MpathPoolBackend Backend() => new(_runner, _host.Roots);

    /// <summary>device-mapper in the kernel and a /dev/mapper node per map (regular files of the map's size stand in).</summary>
    private void Mapper(params (string Name, long Bytes)[] maps)
    {
        _host.DeviceMapper();
        string mapper = Path.Combine(_host.Dev, "mapper");
        foreach (var (name, bytes) in maps)
            using (var f = File.Create(Path.Combine(mapper, name))) f.SetLength(bytes);
    }

    private void Answer(string ls, params (string Map, string Table)[] tables)
    {
        _runner.On(DmsetupTool.ListCommand().ToString(), 0, ScsiReplay.Read(ls));
        foreach (var (map, table) in tables) _runner.On(DmsetupTool.TableCommand(map).ToString(), 0, ScsiReplay.Read(table));
    }

    [Fact]
    public void MultipathMapsAreDmMinorVolumesAtDevMapper()
    {
        Mapper(("mpatha", 8 << 20), ("mpathb", 8 << 20));
        Answer("dmsetup-ls-multipath.txt", ("mpatha", "dmsetup-table-mpatha.txt"), ("mpathb", "dmsetup-table-mpathb.txt"));

        var result = Backend().Refresh(Pool);

        Assert.Equal(["dm-2", "dm-3"], result.Volumes.Select(v => v.Name));
        var a = result.Volumes[0];
        Assert.Equal((VolumeType.Block, "/dev/mapper/mpatha", "/dev/mapper/mpatha", 8UL << 20), (a.Type, a.Target.Path, a.Key, a.Capacity));
        // Two table segments of 8192 sectors each.
        Assert.Equal(8UL << 20, result.Volumes[1].Capacity);
        Assert.Equal((16UL << 20, 16UL << 20, 0UL), (result.Capacity, result.Allocation, result.Available));
    }

    [Fact]
    public void OldDmsetupListingAndNonMultipathTablesAreHandled()
    {
        Mapper(("350002ac001dc0031", 0));
        Answer("dmsetup-ls-multipath.old.txt", ("350002ac001dc0031", "dmsetup-table-350002ac001dc0031.txt"), ("mpathb", "dmsetup-table-linear.txt"));
        var volume = Assert.Single(Backend().ListVolumes(Pool));
        Assert.Equal(("dm-0", "/dev/mapper/350002ac001dc0031", 2UL << 30), (volume.Name, volume.Target.Path, volume.Capacity));
    }

    [Fact]
    public void NoMapsMeansAnEmptyRunningPool()
    {
        Mapper();
        Answer("dmsetup-ls-none.txt");
        Assert.True(Backend().CheckActive(Pool));
        Assert.Empty(Backend().Refresh(Pool).Volumes);
    }

    [Fact]
    public void HostWithoutDeviceMapperHasNoMapsAndRunsNothing()
    {
        Assert.False(Backend().CheckActive(Pool));
        Assert.Empty(Backend().Refresh(Pool).Volumes);
        // As on this build machine: udev made /dev/mapper/control, but the kernel has no device-mapper driver.
        Directory.CreateDirectory(Path.Combine(_host.Dev, "mapper"));
        File.WriteAllText(Path.Combine(_host.Dev, "mapper", "control"), "");
        Assert.True(Backend().CheckActive(Pool));
        Assert.Empty(Backend().Refresh(Pool).Volumes);
        Assert.Empty(_runner.Ran);
    }

    [Fact]
    public void MissingDmsetupIsAClearError()
    {
        Mapper();
        var e = Assert.Throws<StorageException>(() => new MpathPoolBackend(new ReplayRunner("none"), _host.Roots).Refresh(Pool));
        Assert.Equal("internal error: dmsetup is not installed (Debian package 'dmsetup'): cannot list multipath maps", e.Display);
    }

    [Fact]
    public void UploadDownloadAndWipeWorkOnTheMapDevice()
    {
        Mapper(("mpatha", 8 << 20));
        Answer("dmsetup-ls-multipath.txt", ("mpatha", "dmsetup-table-mpatha.txt"), ("mpathb", "dmsetup-table-linear.txt"));
        var backend = Backend();
        var volume = backend.FindVolume(Pool, "dm-2")!;
        byte[] data = Enumerable.Range(0, 100_000).Select(i => (byte)(i % 253 + 1)).ToArray();
        backend.Upload(Pool, volume, new MemoryStream(data), new TransferRange(0, 0, false), null, default);
        var copy = new MemoryStream();
        backend.Download(Pool, volume, copy, new TransferRange(0, (ulong)data.Length, false), null, default);
        Assert.Equal(data, copy.ToArray());
        backend.Wipe(Pool, volume, WipeAlgorithm.Zero, null, default);
        Assert.Equal(-1, File.ReadAllBytes(Path.Combine(_host.Dev, "mapper", "mpatha")).AsSpan().IndexOfAnyExcept((byte)0));
        Assert.Equal(8L << 20, new FileInfo(Path.Combine(_host.Dev, "mapper", "mpatha")).Length);
    }

    [Theory]
    [InlineData("mpatha\t(253:2)", "mpatha", 2u)]
    [InlineData("350002ac001dc0031\t(253, 0)", "350002ac001dc0031", 0u)]
    [InlineData("No devices found", null, 0u)]
    public void ListingLinesParse(string line, string? name, uint minor)
    {
        var maps = DmsetupTool.ParseList(line + "\n");
        if (name is null) Assert.Empty(maps);
        else Assert.Equal((name, minor), Assert.Single(maps));
    }

    [Fact]
    public void CapabilitiesAreLibvirtsMpathRow() =>
        Assert.Equal(BackendCapabilities.Check | BackendCapabilities.Refresh | BackendCapabilities.UploadVolume
                     | BackendCapabilities.DownloadVolume | BackendCapabilities.WipeVolume, Backend().Capabilities);
}
