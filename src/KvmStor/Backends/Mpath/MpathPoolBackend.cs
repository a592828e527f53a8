using KvmStor.Backends.Scsi;
using KvmStor.Host;
using KvmStor.Images;
using KvmStor.Model;

namespace KvmStor.Backends.Mpath;

/// <summary>
/// libvirt's "mpath" pool (spec §3.6): every device-mapper map with a multipath target is a volume named dm-MINOR at
/// /dev/mapper/NAME (key = path). There is nothing to start or stop, and only one such pool per host (the engine's
/// source-conflict rule). Volumes cannot be created or deleted; their data can be uploaded, downloaded and wiped.
/// </summary>
public sealed class MpathPoolBackend(ICommandRunner runner, HostRoots roots) : IPoolBackend, IVolumeBackend
{
    private readonly DmsetupTool _dmsetup = new(runner);

    public MpathPoolBackend() : this(ProcessCommandRunner.Instance, HostRoots.System) { }

    public PoolType Type => PoolType.Mpath;

    public BackendCapabilities Capabilities =>
        BackendCapabilities.Check | BackendCapabilities.Refresh
        | BackendCapabilities.UploadVolume | BackendCapabilities.DownloadVolume | BackendCapabilities.WipeVolume;

    /// <summary>libvirt's check: the pool runs while /dev/mapper (or the old /dev/mpath) exists.</summary>
    public bool CheckActive(PoolDefinition pool) =>
        Directory.Exists(roots.OnHost("/dev/mapper")) || Directory.Exists(roots.OnHost("/dev/mpath"));

    public void Build(PoolDefinition pool, PoolBuildFlags flags) { }
    public void Start(PoolDefinition pool) { }
    public void Stop(PoolDefinition pool) { }

    public void Delete(PoolDefinition pool) => throw StorageException.NoSupport("pool does not support pool deletion");

    public PoolRefreshResult Refresh(PoolDefinition pool)
    {
        var volumes = ListVolumes(pool);
        ulong capacity = 0;
        foreach (var v in volumes) capacity += v.Capacity;
        return new PoolRefreshResult { Capacity = capacity, Allocation = capacity, Available = 0, Volumes = volumes };
    }

    public string FindSources(string? sourceSpecXml) =>
        throw StorageException.NoSupport("pool type 'mpath' does not support source discovery");

    /// <summary>
    /// The multipath maps. A kernel without device-mapper (no misc device "device-mapper" in sysfs, even when udev left a
    /// /dev/mapper/control node behind) has none, as libvirt reports on such a host; dmsetup is not even asked.
    /// </summary>
    public IReadOnlyList<VolumeDefinition> ListVolumes(PoolDefinition pool)
    {
        if (!Directory.Exists(roots.SysPath("class/misc/device-mapper"))) return [];
        return _dmsetup.ListMaps().Select(ToVolume).ToList();
    }

    public VolumeDefinition? FindVolume(PoolDefinition pool, string name) => ListVolumes(pool).FirstOrDefault(v => v.Name == name);

    public VolumeDefinition? FindVolumeByKeyOrPath(PoolDefinition pool, string keyOrPath) =>
        ListVolumes(pool).FirstOrDefault(v => v.Key == keyOrPath || v.Target.Path == keyOrPath);

    public VolumeDefinition CreateVolume(PoolDefinition pool, VolumeDefinition volume, VolumeCreateFlags flags, ByteProgress? progress, CancellationToken cancel) =>
        throw StorageException.NoSupport("storage pool does not support volume creation");

    public VolumeDefinition CreateVolumeFrom(PoolDefinition pool, VolumeDefinition volume, PoolDefinition sourcePool, VolumeDefinition source,
        VolumeCreateFlags flags, ByteProgress? progress, CancellationToken cancel) =>
        throw StorageException.NoSupport("storage pool does not support volume creation from an existing volume");

    public void DeleteVolume(PoolDefinition pool, VolumeDefinition volume, VolumeDeleteFlags flags) =>
        throw StorageException.NoSupport("storage pool does not support vol deletion");

    public void ResizeVolume(PoolDefinition pool, VolumeDefinition volume, ulong capacity, VolumeResizeFlags flags) =>
        throw StorageException.NoSupport("storage pool does not support changing of volume capacity");

    public void Upload(PoolDefinition pool, VolumeDefinition volume, Stream source, TransferRange range, ByteProgress? progress, CancellationToken cancel) =>
        BlockVolumeIo.Upload(DeviceOf(pool, volume), source, range, progress, cancel);

    public void Download(PoolDefinition pool, VolumeDefinition volume, Stream destination, TransferRange range, ByteProgress? progress, CancellationToken cancel) =>
        BlockVolumeIo.Download(DeviceOf(pool, volume), destination, range, progress, cancel);

    public void Wipe(PoolDefinition pool, VolumeDefinition volume, WipeAlgorithm algorithm, ByteProgress? progress, CancellationToken cancel) =>
        BlockVolumeIo.Wipe(DeviceOf(pool, volume), algorithm, progress, cancel);

    private string DeviceOf(PoolDefinition pool, VolumeDefinition volume)
    {
        var current = FindVolume(pool, volume.Name)
            ?? throw new StorageException(ErrorCode.NoStorageVolume, $"no storage vol with matching name '{volume.Name}'");
        return roots.OnHost(current.Target.Path!);
    }

    private VolumeDefinition ToVolume(MultipathMap map)
    {
        string path = map.DevicePath;
        FileSystemStatus? status = FileSystem.TryStat(roots.OnHost(path), true, out var s, out _) ? s : null;
        return new VolumeDefinition
        {
            Type = VolumeType.Block,
            Name = map.VolumeName,
            Key = path,
            Capacity = map.Bytes,
            Allocation = map.Bytes,
            HasAllocation = true,
            // libvirt reads block volumes like any device: physical is the device size.
            Physical = map.Bytes,
            Target = new VolumeTarget
            {
                Path = path,
                Permissions = status is null ? null : new Permissions { Mode = status.Mode & 0x1FF, Owner = status.Owner, Group = status.Group },
                Timestamps = status is null ? null : new VolumeTimestamps(status.Accessed.ToLibvirtString(), status.Modified.ToLibvirtString(),
                    status.Changed.ToLibvirtString(), "0"),
            },
        };
    }
}
