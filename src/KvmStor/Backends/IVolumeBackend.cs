using KvmStor.Model;

namespace KvmStor.Backends;

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
