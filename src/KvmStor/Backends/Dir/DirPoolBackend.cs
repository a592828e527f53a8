using KvmStor.Backends.Local;
using KvmStor.Host;
using KvmStor.Images;
using KvmStor.Model;

namespace KvmStor.Backends.Dir;

/// <summary>
/// A directory on the host's filesystem. Nothing to start or stop: the pool is usable whenever the directory exists.
/// </summary>
public sealed class DirPoolBackend(ICommandRunner runner) : IPoolBackend, IVolumeBackend
{
    private readonly LocalFileVolumes _volumes = new(runner);

    public DirPoolBackend() : this(ProcessCommandRunner.Instance) { }

    public PoolType Type => PoolType.Dir;

    public BackendCapabilities Capabilities =>
        BackendCapabilities.Check | BackendCapabilities.Build | BackendCapabilities.Delete | BackendCapabilities.Refresh |
        LocalFileVolumes.Capabilities;

    public bool CheckActive(PoolDefinition pool) => Directory.Exists(LocalTargetDirectory.RequirePath(pool));

    public void Build(PoolDefinition pool, PoolBuildFlags flags)
    {
        // --overwrite / --no-overwrite ask for mkfs, which needs a source device a dir pool never has (libvirt's rule).
        if ((flags & (PoolBuildFlags.Overwrite | PoolBuildFlags.NoOverwrite)) != 0)
            throw StorageException.Invalid($"No source device specified when formatting pool '{pool.Name}'");
        LocalTargetDirectory.Build(pool);
    }

    public void Start(PoolDefinition pool) { }

    public void Stop(PoolDefinition pool) { }

    public void Delete(PoolDefinition pool) => LocalTargetDirectory.Delete(pool);

    public PoolRefreshResult Refresh(PoolDefinition pool) =>
        LocalTargetDirectory.ReadState(pool) with { Volumes = LocalVolumeScanner.Scan(LocalTargetDirectory.RequirePath(pool)) };

    public string FindSources(string? sourceSpecXml) =>
        throw StorageException.NoSupport("pool type 'dir' does not support source discovery");

    // Volumes: the entries of the target directory.
    public IReadOnlyList<VolumeDefinition> ListVolumes(PoolDefinition pool) => _volumes.ListVolumes(pool);
    public VolumeDefinition? FindVolume(PoolDefinition pool, string name) => _volumes.FindVolume(pool, name);
    public VolumeDefinition? FindVolumeByKeyOrPath(PoolDefinition pool, string keyOrPath) => _volumes.FindVolumeByKeyOrPath(pool, keyOrPath);

    public VolumeDefinition CreateVolume(PoolDefinition pool, VolumeDefinition volume, VolumeCreateFlags flags, ByteProgress? progress, CancellationToken cancel) =>
        _volumes.CreateVolume(pool, volume, flags, progress, cancel);

    public VolumeDefinition CreateVolumeFrom(PoolDefinition pool, VolumeDefinition volume, PoolDefinition sourcePool, VolumeDefinition source,
        VolumeCreateFlags flags, ByteProgress? progress, CancellationToken cancel) =>
        _volumes.CreateVolumeFrom(pool, volume, sourcePool, source, flags, progress, cancel);

    public void DeleteVolume(PoolDefinition pool, VolumeDefinition volume, VolumeDeleteFlags flags) => _volumes.DeleteVolume(pool, volume, flags);
    public void ResizeVolume(PoolDefinition pool, VolumeDefinition volume, ulong capacity, VolumeResizeFlags flags) => _volumes.ResizeVolume(pool, volume, capacity, flags);

    public void Upload(PoolDefinition pool, VolumeDefinition volume, Stream source, TransferRange range, ByteProgress? progress, CancellationToken cancel) =>
        _volumes.Upload(pool, volume, source, range, progress, cancel);

    public void Download(PoolDefinition pool, VolumeDefinition volume, Stream destination, TransferRange range, ByteProgress? progress, CancellationToken cancel) =>
        _volumes.Download(pool, volume, destination, range, progress, cancel);

    public void Wipe(PoolDefinition pool, VolumeDefinition volume, WipeAlgorithm algorithm, ByteProgress? progress, CancellationToken cancel) =>
        _volumes.Wipe(pool, volume, algorithm, progress, cancel);
}
