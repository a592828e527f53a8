using KvmStor.Images;
using KvmStor.Model;

namespace KvmStor.Backends;

[Flags]
public enum VolumeCreateFlags
{
    None = 0,
    /// <summary>vol-create --prealloc-metadata.</summary>
    PreallocMetadata = 1,
    /// <summary>vol-clone / vol-create-from --reflink: share extents or fail.</summary>
    Reflink = 2,
    /// <summary>vol-clone / vol-create-from: copy the data even where the pool could share it (rbd: no copy-on-write clone).</summary>
    FullCopy = 4,
}

[Flags]
public enum VolumeResizeFlags
{
    None = 0,
    Allocate = 1,
    Delta = 2,
    Shrink = 4,
}

[Flags]
public enum VolumeDeleteFlags
{
    None = 0,
    DeleteSnapshots = 2,
}

/// <summary>A byte range of a volume for upload and download; Length 0 means "to the end".</summary>
public readonly record struct TransferRange(ulong Offset, ulong Length, bool Sparse)
{
    /// <summary>
    /// Upload only: let the data grow a raw volume past its capacity (libvirt always does). Without it an upload
    /// must fit between the offset and the capacity.
    /// </summary>
    public bool AllowGrow { get; init; }
}

/// <summary>
/// The volume half of a backend. Backends look volumes up live (no cache): a file pool reads its directory, a block
/// pool asks its tool. Capabilities in <see cref="IPoolBackend.Capabilities"/> say which operations work.
/// </summary>
public interface IVolumeBackend
{
    IReadOnlyList<VolumeDefinition> ListVolumes(PoolDefinition pool);

    VolumeDefinition? FindVolume(PoolDefinition pool, string name);

    /// <summary>A volume of this pool whose key or path is <paramref name="keyOrPath"/>, or null.</summary>
    VolumeDefinition? FindVolumeByKeyOrPath(PoolDefinition pool, string keyOrPath);

    /// <summary>Creates and builds a volume; returns it as a refresh would list it. Nothing is left behind on failure.</summary>
    VolumeDefinition CreateVolume(PoolDefinition pool, VolumeDefinition volume, VolumeCreateFlags flags, ByteProgress? progress, CancellationToken cancel);

    /// <summary>Creates a volume whose content is <paramref name="source"/>'s guest-visible content.</summary>
    VolumeDefinition CreateVolumeFrom(PoolDefinition pool, VolumeDefinition volume, PoolDefinition sourcePool, VolumeDefinition source,
        VolumeCreateFlags flags, ByteProgress? progress, CancellationToken cancel);

    void DeleteVolume(PoolDefinition pool, VolumeDefinition volume, VolumeDeleteFlags flags);

    void ResizeVolume(PoolDefinition pool, VolumeDefinition volume, ulong capacity, VolumeResizeFlags flags);

    void Upload(PoolDefinition pool, VolumeDefinition volume, Stream source, TransferRange range, ByteProgress? progress, CancellationToken cancel);

    void Download(PoolDefinition pool, VolumeDefinition volume, Stream destination, TransferRange range, ByteProgress? progress, CancellationToken cancel);

    void Wipe(PoolDefinition pool, VolumeDefinition volume, WipeAlgorithm algorithm, ByteProgress? progress, CancellationToken cancel);
}
