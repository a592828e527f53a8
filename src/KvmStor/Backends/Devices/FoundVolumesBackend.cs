using KvmStor.Images;
using KvmStor.Model;

namespace KvmStor.Backends.Devices;

/// <summary>
/// The volume half of pools whose volumes exist before kvmstor sees them (LUNs of a SCSI host or an iSCSI target,
/// multipath maps): they are found, never made, so there is no creation, deletion or resizing (the engine answers with
/// libvirt's texts). Subclasses say how volumes are found and how their data is read and written.
/// </summary>
public abstract class FoundVolumesBackend : IVolumeBackend, IVolumeUploader, IVolumeDownloader, IVolumeWiper
{
    public abstract IReadOnlyList<VolumeDefinition> ListVolumes(PoolDefinition pool);

    /// <summary>A refresh of found devices: the pool is as big as its volumes together, all of it allocated, none free.</summary>
    protected static PoolRefreshResult RefreshOf(IReadOnlyList<VolumeDefinition> volumes)
    {
        ulong total = volumes.Aggregate(0UL, (sum, v) => sum + v.Capacity);
        return new PoolRefreshResult { Capacity = total, Allocation = total, Available = 0, Volumes = volumes };
    }

    public abstract VolumeDefinition? FindVolume(PoolDefinition pool, string name);

    public abstract VolumeDefinition? FindVolumeByKeyOrPath(PoolDefinition pool, string keyOrPath);

    public abstract void Upload(PoolDefinition pool, VolumeDefinition volume, Stream source, TransferRange range, ByteProgress? progress, CancellationToken cancel);

    public abstract void Download(PoolDefinition pool, VolumeDefinition volume, Stream destination, TransferRange range, ByteProgress? progress, CancellationToken cancel);

    public abstract void Wipe(PoolDefinition pool, VolumeDefinition volume, WipeAlgorithm algorithm, ByteProgress? progress, CancellationToken cancel);
}
