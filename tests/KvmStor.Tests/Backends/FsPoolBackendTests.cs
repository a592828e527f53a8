using KvmStor.Backends;
using KvmStor.Backends.Fs;
using KvmStor.Model;
using KvmStor.Xml;

namespace KvmStor.Tests.Backends;

/// <summary>fs pools through replayed mount, umount, blkid and mkfs output (the real runs are in the integration tests).</summary>
public sealed class FsPoolBackendTests : IDisposable
{
    private readonly FsScratch _dir = new();

    public void Dispose() => _dir.Dispose();

    // Real `blkid -p -o export` output of this host's blkid (util-linux 2.38) on a fresh ext4, xfs and gpt image.
    private const string BlkidExt4 = "DEVNAME={0}\nUUID=e93f36b6-b970-4b59-b0ed-edcef6d822a5\nVERSION=1.0\nBLOCK_SIZE=1024\nTYPE=ext4\nUSAGE=filesystem\n";
    private const string BlkidXfs = "DEVNAME={0}\nUUID=9f366199-c6ba-4b54-af86-8038465a7816\nBLOCK_SIZE=512\nTYPE=xfs\nUSAGE=filesystem\n";
    private const string BlkidGpt = "DEVNAME={0}\nPTUUID=9702b62c-5811-4975-be88-56d07672fd0f\nPTTYPE=gpt\n";

    private PoolDefinition Pool(string format = "ext4", string? device = null, string extraSource = "") => PoolXml.Parse($"""
        <pool type='fs'>
          <name>fs1</name>
          <source><device path='{device ?? _dir.Device}'/>{extraSource}<format type='{format}'/></source>
          <target><path>{_dir.Target}</path></target>
        </pool>
        """);

    private FsPoolBackend Backend(ReplayRunner runner) => new(runner, _dir.MountTable);

    private string Blkid => $"blkid -p -o export {_dir.Device}";

    [Fact]
    public void DeclaresTheCapabilitiesOfLibvirtsFsBackend()
    {
        var caps = Backend(new ReplayRunner(FsScratch.Tools)).Capabilities;
        Assert.Equal(BackendCapabilities.Check | BackendCapabilities.Build | BackendCapabilities.Start | BackendCapabilities.Stop |
                     BackendCapabilities.Delete | BackendCapabilities.Refresh | BackendCapabilities.FindSources | BackendCapabilities.CreateVolume |
                     BackendCapabilities.CreateVolumeFrom | BackendCapabilities.DeleteVolume | BackendCapabilities.ResizeVolume |
                     BackendCapabilities.UploadVolume | BackendCapabilities.DownloadVolume | BackendCapabilities.WipeVolume, caps);
    }

    [Fact]
    public void ActiveOnlyWhenTheDeviceIsMountedOnTheTarget()
    {
        var backend = Backend(new ReplayRunner(FsScratch.Tools));
        Assert.False(backend.CheckActive(Pool()));
        _dir.WriteMounts($"{_dir.Device} /elsewhere ext4 rw");
        Assert.False(backend.CheckActive(Pool()));
        _dir.WriteMounts($"/dev/other {_dir.Target} ext4 rw");
        Assert.False(backend.CheckActive(Pool()));
        _dir.WriteMounts($"{_dir.Device} {_dir.Target} ext4 rw,nosuid,nodev,noexec");
        Assert.True(backend.CheckActive(Pool()));
    }

    [Fact]
    public void CheckComparesThroughASymlinkedDeviceAsLibvirtDoes()
    {
        string link = Path.Combine(_dir.Root, "by-id-disk");
        File.CreateSymbolicLink(link, _dir.Device);
        _dir.WriteMounts($"{_dir.Device} {_dir.Target} ext4 rw");
        Assert.True(Backend(new ReplayRunner(FsScratch.Tools)).CheckActive(Pool(device: link)));
    }

    [Fact]
    public void ValidityErrorsComeBeforeTheMountTable()
    {
        var backend = Backend(new ReplayRunner(FsScratch.Tools));
        var noDevice = Pool() with { Source = Pool().Source with { Devices = [] } };
        var e = Assert.Throws<StorageException>(() => backend.CheckActive(noDevice));
        Assert.Equal("internal error: missing source device", e.Display);
        var two = Pool() with { Source = Pool().Source with { Devices = [.. Pool().Source.Devices, new PoolSourceDevice { Path = "/dev/b" }] } };
        e = Assert.Throws<StorageException>(() => backend.Start(two));
        Assert.Equal("unsupported configuration: expected exactly 1 device for the storage pool", e.Display);
    }

    [Fact]
    public void StartMountsWithLibvirtsOptionsAndTheUsersMountOptions()
    {
        var runner = new ReplayRunner(FsScratch.Tools)
            .On($"/bin/mount -o nodev,nosuid,noexec,discard -t xfs {_dir.Device} {_dir.Target}", 0);
        var pool = Pool("xfs") with { MountOptions = ["discard"] };
        Backend(runner).Start(pool);
        Assert.Single(runner.Ran);
    }

    [Fact]
    public void StartOfAnAlreadyMountedPoolRunsNothing()
    {
        _dir.WriteMounts($"{_dir.Device} {_dir.Target} ext4 rw");
        var runner = new ReplayRunner(FsScratch.Tools);
        Backend(runner).Start(Pool());
        Assert.Empty(runner.Ran);
    }

    [Fact]
    public void AFailedMountReportsTheChildProcessAsLibvirtDoes()
    {
        // Recorded: mount of a vfat device on this kernel (no vfat module).
        var runner = new ReplayRunner(FsScratch.Tools).On($"/bin/mount -o nodev,nosuid,noexec -t vfat {_dir.Device} {_dir.Target}", 32, "",
            $"mount: {_dir.Target}: unknown filesystem type 'vfat'.\n       dmesg(1) may have more information after failed mount system call.\n");
        var e = Assert.Throws<StorageException>(() => Backend(runner).Start(Pool("vfat")));
        Assert.Equal(
            $"internal error: Child process (/bin/mount -o nodev,nosuid,noexec -t vfat {_dir.Device} {_dir.Target}) unexpected exit status 32: " +
            $"mount: {_dir.Target}: unknown filesystem type 'vfat'.\n       dmesg(1) may have more information after failed mount system call.",
            e.Display);
    }

    [Fact]
    public void StopUnmountsOnlyWhatIsMounted()
    {
        var runner = new ReplayRunner(FsScratch.Tools).On($"/bin/umount {_dir.Target}", 0);
        Backend(runner).Stop(Pool());
        Assert.Empty(runner.Ran);
        _dir.WriteMounts($"{_dir.Device} {_dir.Target} ext4 rw");
        Backend(runner).Stop(Pool());
        Assert.Equal([$"/bin/umount {_dir.Target}"], runner.Ran);
    }

    [Fact]
    public void APlainBuildMakesTheDirectoryAndNeverRunsMkfs()
    {
        var runner = new ReplayRunner(FsScratch.Tools);
        Backend(runner).Build(Pool(), PoolBuildFlags.None);
        Assert.True(Directory.Exists(_dir.Target));
        Assert.Empty(runner.Ran);
    }

    [Fact]
    public void NoOverwriteFormatsAnEmptyDevice()
    {
        var runner = new ReplayRunner(FsScratch.Tools).On(Blkid, 2).On($"/sbin/mkfs -t ext4 -F {_dir.Device}", 0);
        Backend(runner).Build(Pool(), PoolBuildFlags.NoOverwrite);
        Assert.Equal([Blkid, $"/sbin/mkfs -t ext4 -F {_dir.Device}"], runner.Ran);
    }

    [Fact]
    public void NoOverwriteRefusesTheSameFilesystemWithLibvirtsText()
    {
        var runner = new ReplayRunner(FsScratch.Tools).On(Blkid, 0, string.Format(BlkidExt4, _dir.Device));
        var e = Assert.Throws<StorageException>(() => Backend(runner).Build(Pool(), PoolBuildFlags.NoOverwrite));
        Assert.Equal(ErrorCode.StoragePoolBuilt, e.Code);
        Assert.Equal($"Storage pool already built: Device '{_dir.Device}' already formatted using 'ext4'", e.Display);
        Assert.Equal([Blkid], runner.Ran);
    }

    [Theory]
    [InlineData(BlkidXfs)]
    [InlineData(BlkidGpt)]
    public void NoOverwriteRefusesAnotherFilesystemOrALabel(string recorded)
    {
        var runner = new ReplayRunner(FsScratch.Tools).On(Blkid, 0, string.Format(recorded, _dir.Device));
        var e = Assert.Throws<StorageException>(() => Backend(runner).Build(Pool(), PoolBuildFlags.NoOverwrite));
        Assert.Equal(
            $"Storage pool already built: Format of device '{_dir.Device}' does not match the expected format 'ext4', forced overwrite is necessary",
            e.Display);
        Assert.Equal([Blkid], runner.Ran);
    }

    [Fact]
    public void AFailedProbeRefusesToFormat()
    {
        var runner = new ReplayRunner(FsScratch.Tools).On(Blkid, 8, "", "ambivalent result");
        var e = Assert.Throws<StorageException>(() => Backend(runner).Build(Pool(), PoolBuildFlags.NoOverwrite));
        Assert.Equal($"Unable to probe '{_dir.Device}' for existing data, forced overwrite is necessary", e.Message);
    }

    [Theory]
    [InlineData("xfs", "-f")]
    [InlineData("ext2", "-F")]
    [InlineData("ext3", "-F")]
    [InlineData("vfat", "-I")]
    public void OverwriteRunsMkfsWithTheFormatsForceFlagAndNoProbe(string format, string force)
    {
        string mkfs = $"/sbin/mkfs -t {format} {force} {_dir.Device}";
        var runner = new ReplayRunner("/sbin/mkfs", "mkfs." + format).On(mkfs, 0);
        Backend(runner).Build(Pool(format), PoolBuildFlags.Overwrite);
        Assert.Equal([mkfs], runner.Ran);
    }

    [Fact]
    public void AMountedDeviceIsNeverFormatted()
    {
        _dir.WriteMounts($"{_dir.Device} /srv/data ext4 rw");
        var runner = new ReplayRunner(FsScratch.Tools);
        var e = Assert.Throws<StorageException>(() => Backend(runner).Build(Pool(), PoolBuildFlags.Overwrite));
        Assert.Equal($"Requested operation is not valid: Device '{_dir.Device}' is mounted on '/srv/data'; unmount it before formatting", e.Display);
        Assert.Empty(runner.Ran);
    }

    [Fact]
    public void AMissingMkfsHelperNamesTheDebianPackage()
    {
        var runner = new ReplayRunner("/sbin/mkfs", "mkfs.ext4");
        var e = Assert.Throws<StorageException>(() => Backend(runner).Build(Pool("xfs"), PoolBuildFlags.Overwrite));
        Assert.Equal($"internal error: mkfs.xfs not found: Failed to make filesystem of type 'xfs' on device '{_dir.Device}' (install the Debian package 'xfsprogs')",
            e.Display);
        Assert.Empty(runner.Ran);
    }

    [Fact]
    public void AMissingMkfsGivesLibvirtsText()
    {
        var runner = new ReplayRunner("mkfs.ext4");
        var e = Assert.Throws<StorageException>(() => Backend(runner).Build(Pool(), PoolBuildFlags.Overwrite));
        Assert.Equal($"internal error: mkfs is not available on this platform: Failed to make filesystem of type 'ext4' on device '{_dir.Device}'",
            e.Display);
    }

    [Fact]
    public void FormattingAMissingDeviceFails()
    {
        var e = Assert.Throws<StorageException>(() =>
            Backend(new ReplayRunner(FsScratch.Tools)).Build(Pool(device: "/dev/no-such-disk"), PoolBuildFlags.NoOverwrite));
        Assert.Equal("Requested operation is not valid: Source device does not exist when formatting pool 'fs1'", e.Display);
    }

    [Fact]
    public void RefreshAndVolumesReadTheTargetDirectoryLikeADirPool()
    {
        Directory.CreateDirectory(Path.Combine(_dir.Target, "lost+found"));
        File.WriteAllBytes(Path.Combine(_dir.Target, "a.img"), new byte[4096]);
        var backend = Backend(new ReplayRunner(FsScratch.Tools));
        var result = backend.Refresh(Pool());
        Assert.True(result.Capacity > 0);
        Assert.Equal(result.Capacity - result.Available, result.Allocation);
        Assert.Equal(["a.img", "lost+found"], backend.ListVolumes(Pool()).Select(v => v.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void DeleteRemovesTheTargetDirectory()
    {
        Directory.CreateDirectory(_dir.Target);
        Backend(new ReplayRunner(FsScratch.Tools)).Delete(Pool());
        Assert.False(Directory.Exists(_dir.Target));
    }

}
