using KvmStor.Host;
using KvmStor.Images;
using KvmStor.Model;

namespace KvmStor.Backends.Devices;

/// <summary>
/// The volume half of pools whose volumes are devices the host already has (SCSI and iSCSI LUNs, multipath maps):
/// upload, download and wipe work on the device as it is now. Lookups are live (LUNs come and go with rescans).
/// </summary>
public abstract class DeviceVolumeBackend(HostRoots roots) : FoundVolumesBackend
{
    /// <summary>Where sysfs and /dev are; volume paths are /dev names and reach their files through it.</summary>
    protected HostRoots Roots { get; } = roots;

    /// <summary>The pool's devices as volumes, read without anything that costs a process (their keys may be missing).</summary>
    protected abstract IReadOnlyList<VolumeDefinition> Devices(PoolDefinition pool);

    /// <summary>A volume of <see cref="Devices"/> with its key; by default the key it already has.</summary>
    protected virtual VolumeDefinition WithKey(PoolDefinition pool, VolumeDefinition volume) => volume;

    public override IReadOnlyList<VolumeDefinition> ListVolumes(PoolDefinition pool) => Devices(pool).Select(v => WithKey(pool, v)).ToList();

    /// <summary>Only the named volume gets its key: one lookup does not ask about every LUN of a large array.</summary>
    public override VolumeDefinition? FindVolume(PoolDefinition pool, string name) =>
        Devices(pool).Where(v => v.Name == name).Select(v => WithKey(pool, v)).FirstOrDefault();

    /// <summary>A path match needs no key; keys are read one volume at a time, and only when no path matches.</summary>
    public override VolumeDefinition? FindVolumeByKeyOrPath(PoolDefinition pool, string keyOrPath)
    {
        var devices = Devices(pool);
        return devices.Where(v => v.Target.Path == keyOrPath).Select(v => WithKey(pool, v)).FirstOrDefault()
            ?? devices.Select(v => WithKey(pool, v)).FirstOrDefault(v => v.Key == keyOrPath);
    }

    public override void Upload(PoolDefinition pool, VolumeDefinition volume, Stream source, TransferRange range, ByteProgress? progress, CancellationToken cancel) =>
        BlockVolumeIo.Upload(DeviceOf(pool, volume), volume.Name, source, range, progress, cancel);

    public override void Download(PoolDefinition pool, VolumeDefinition volume, Stream destination, TransferRange range, ByteProgress? progress, CancellationToken cancel) =>
        BlockVolumeIo.Download(DeviceOf(pool, volume), destination, range, progress, cancel);

    public override void Wipe(PoolDefinition pool, VolumeDefinition volume, WipeAlgorithm algorithm, ByteProgress? progress, CancellationToken cancel) =>
        BlockVolumeIo.Wipe(DeviceOf(pool, volume), algorithm, progress, cancel);

    /// <summary>The device file behind the volume as the pool shows it now (not as the caller last saw it).</summary>
    private string DeviceOf(PoolDefinition pool, VolumeDefinition volume)
    {
        var current = Devices(pool).FirstOrDefault(v => v.Name == volume.Name)
            ?? throw new StorageException(ErrorCode.NoStorageVolume, $"no storage vol with matching name '{volume.Name}'");
        return Roots.OnHost(current.Target.Path!);
    }
}
