using KvmStor.Backends.Mpath;
using KvmStor.Backends.Scsi;
using KvmStor.Guests;
using KvmStor.Model;
using static KvmStor.Tests.Backends.Scsi.ScsiReplay;

namespace KvmStor.Tests.Backends.Scsi;

/// <summary>Volumes of scsi and mpath pools, as their backends list them, open in qemu as host_device nodes.</summary>
public sealed class ScsiMpathGuestDiskTests : IDisposable
{
    private readonly RecordedSysfs _sysfs = new();
    private readonly ReplayRunner _runner = Runner();

    public void Dispose() => _sysfs.Dispose();

    private static ResolvedDiskSource Resolve(PoolDefinition pool, VolumeDefinition volume, string? driverType = null) =>
        new DiskSourceResolver((p, v) => p == pool.Name && v == volume.Name
                ? new PoolVolume(pool, volume)
                : throw new StorageException(ErrorCode.NoStorageVolume, $"no storage vol with matching name '{v}'"))
            .Resolve(new DiskDefinition { Type = "volume", SourcePool = pool.Name, SourceVolume = volume.Name, TargetDev = "vdb", DriverType = driverType });

    [Fact]
    public void ScsiLunVolumeIsAHostDeviceAtItsStablePath()
    {
        _sysfs.Ahci();
        _runner.On(ScsiSerial.SerialCommand(_sysfs.Roots.OnHost("/dev/disk/by-path/pci-0000:00:1f.2-ata-1")).ToString(), 0, "QM00001\n");
        var pool = Pool(ByName("host0"));
        var volume = new ScsiPoolBackend(_runner, _sysfs.Roots, TimeSpan.FromSeconds(1)).FindVolume(pool, "unit:0:0:0")!;

        var resolved = Resolve(pool, volume);

        Assert.Equal("driver=host_device,filename=/dev/disk/by-path/pci-0000:00:1f.2-ata-1", resolved.Protocol.ToArgument());
        Assert.Equal("raw", resolved.Format);
    }

    [Fact]
    public void MultipathMapVolumeIsAHostDeviceUnderDevMapper()
    {
        _sysfs.DeviceMapper();
        _runner.On(DmsetupTool.ListCommand().ToString(), 0, "mpatha\t(253:2)\n");
        _runner.On(DmsetupTool.TableCommand("mpatha").ToString(), 0, Read("dmsetup-table-mpatha.txt"));
        var pool = new PoolDefinition { Type = PoolType.Mpath, Name = "mpath", Source = new PoolSource(), Target = new PoolTarget { Path = "/dev/mapper" } };
        var volume = new MpathPoolBackend(_runner, _sysfs.Roots).FindVolume(pool, "dm-2")!;

        var resolved = Resolve(pool, volume, driverType: "qcow2");

        Assert.Equal("driver=host_device,filename=/dev/mapper/mpatha", resolved.Protocol.ToArgument());
        Assert.Equal("qcow2", resolved.Format);
    }
}
