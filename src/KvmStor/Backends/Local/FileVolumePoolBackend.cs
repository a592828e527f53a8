using KvmStor.Host;
using KvmStor.Images;
using KvmStor.Model;

namespace KvmStor.Backends.Local;

/// <summary>
/// The base of every pool type whose volumes are files in its target directory (dir, fs, netfs, vstorage):
/// the volume half is the same for all of them and lives in <see cref="LocalFileVolumes"/>. Each has a check, a build
/// (at least the target directory) and a delete, and every volume operation; start, stop and source discovery are each
/// type's own.
/// </summary>
public abstract class FileVolumePoolBackend(ICommandRunner runner)
    : IPoolBackend, IPoolChecker, IPoolBuilder, IPoolDeleter,
      IVolumeBackend, IVolumeCreator, IVolumeCloner, IVolumeDeleter, IVolumeResizer, IVolumeUploader, IVolumeDownloader, IVolumeWiper,
      IUsesVolumeFormatRecords
{
    private readonly LocalFileVolumes _volumes = new(runner);

    public IVolumeFormatRecords FormatRecords { set => _volumes.Records = value; }

    protected ICommandRunner Runner { get; } = runner;

    public abstract PoolType Type { get; }
    public abstract bool CheckActive(PoolDefinition pool);
    public abstract void Build(PoolDefinition pool, PoolBuildFlags flags);

    public virtual void Delete(PoolDefinition pool) => LocalTargetDirectory.Delete(pool);

    /// <summary>Sizes and target permissions only: volumes are read live on every lookup, so refresh need not probe them.</summary>
    public virtual PoolRefreshResult Refresh(PoolDefinition pool) => LocalTargetDirectory.ReadState(pool);

    public virtual IReadOnlyList<VolumeDefinition> ListVolumes(PoolDefinition pool) => _volumes.ListVolumes(pool);
    public virtual VolumeDefinition? FindVolume(PoolDefinition pool, string name) => _volumes.FindVolume(pool, name);
    public virtual VolumeDefinition? FindVolumeByKeyOrPath(PoolDefinition pool, string keyOrPath) => _volumes.FindVolumeByKeyOrPath(pool, keyOrPath);

    public virtual VolumeDefinition CreateVolume(PoolDefinition pool, VolumeDefinition volume, VolumeCreateFlags flags, ByteProgress? progress, CancellationToken cancel) =>
        _volumes.CreateVolume(pool, volume, flags, progress, cancel);

    public virtual VolumeDefinition CreateVolumeFrom(PoolDefinition pool, VolumeDefinition volume, PoolDefinition sourcePool, VolumeDefinition source,
        VolumeCreateFlags flags, ByteProgress? progress, CancellationToken cancel) =>
        _volumes.CreateVolumeFrom(pool, volume, sourcePool, source, flags, progress, cancel);

    public virtual void DeleteVolume(PoolDefinition pool, VolumeDefinition volume, VolumeDeleteFlags flags) => _volumes.DeleteVolume(pool, volume, flags);
    public virtual void ResizeVolume(PoolDefinition pool, VolumeDefinition volume, ulong capacity, VolumeResizeFlags flags) => _volumes.ResizeVolume(pool, volume, capacity, flags);

    public virtual void Upload(PoolDefinition pool, VolumeDefinition volume, Stream source, TransferRange range, ByteProgress? progress, CancellationToken cancel) =>
        _volumes.Upload(pool, volume, source, range, progress, cancel);

    public virtual void Download(PoolDefinition pool, VolumeDefinition volume, Stream destination, TransferRange range, ByteProgress? progress, CancellationToken cancel) =>
        _volumes.Download(pool, volume, destination, range, progress, cancel);

    public virtual void Wipe(PoolDefinition pool, VolumeDefinition volume, WipeAlgorithm algorithm, ByteProgress? progress, CancellationToken cancel) =>
        _volumes.Wipe(pool, volume, algorithm, progress, cancel);
}
