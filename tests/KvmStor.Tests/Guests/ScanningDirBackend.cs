using KvmStor.Backends;
using KvmStor.Backends.Dir;
using KvmStor.Backends.Local;
using KvmStor.Images;
using KvmStor.Model;

namespace KvmStor.Tests.Guests;

/// <summary>
/// The real dir backend plus read-only volume lookups through the project's real directory scanner, so guest tests
/// can look volumes up on a branch where the dir backend's volume operations are not merged yet. The test makes the
/// volume files itself; nothing here is faked: files are probed as they are.
/// </summary>
internal sealed class ScanningDirBackend : IPoolBackend, IVolumeBackend
{
    private readonly DirPoolBackend _dir = new();

    public static BackendRegistry Registry()
    {
        var registry = BackendRegistry.CreateDefault();
        if (registry.Find(PoolType.Dir) is not IVolumeBackend) registry.Register(new ScanningDirBackend());
        return registry;
    }

    public PoolType Type => _dir.Type;
    public BackendCapabilities Capabilities => _dir.Capabilities;
    public bool CheckActive(PoolDefinition pool) => _dir.CheckActive(pool);
    public void Build(PoolDefinition pool, PoolBuildFlags flags) => _dir.Build(pool, flags);
    public void Start(PoolDefinition pool) => _dir.Start(pool);
    public void Stop(PoolDefinition pool) => _dir.Stop(pool);
    public void Delete(PoolDefinition pool) => _dir.Delete(pool);
    public PoolRefreshResult Refresh(PoolDefinition pool) => _dir.Refresh(pool);
    public string FindSources(string? sourceSpecXml) => _dir.FindSources(sourceSpecXml);

    public IReadOnlyList<VolumeDefinition> ListVolumes(PoolDefinition pool) => LocalVolumeScanner.Scan(pool.TargetPath!);
    public VolumeDefinition? FindVolume(PoolDefinition pool, string name) => ListVolumes(pool).FirstOrDefault(v => v.Name == name);
    public VolumeDefinition? FindVolumeByKeyOrPath(PoolDefinition pool, string keyOrPath) =>
        ListVolumes(pool).FirstOrDefault(v => v.Key == keyOrPath || v.Target.Path == keyOrPath);

    public VolumeDefinition CreateVolume(PoolDefinition pool, VolumeDefinition volume, VolumeCreateFlags flags, ByteProgress? progress, CancellationToken cancel) => throw new NotSupportedException();
    public VolumeDefinition CreateVolumeFrom(PoolDefinition pool, VolumeDefinition volume, PoolDefinition sourcePool, VolumeDefinition source, VolumeCreateFlags flags, ByteProgress? progress, CancellationToken cancel) => throw new NotSupportedException();
    public void DeleteVolume(PoolDefinition pool, VolumeDefinition volume, VolumeDeleteFlags flags) => throw new NotSupportedException();
    public void ResizeVolume(PoolDefinition pool, VolumeDefinition volume, ulong capacity, VolumeResizeFlags flags) => throw new NotSupportedException();
    public void Upload(PoolDefinition pool, VolumeDefinition volume, Stream source, TransferRange range, ByteProgress? progress, CancellationToken cancel) => throw new NotSupportedException();
    public void Download(PoolDefinition pool, VolumeDefinition volume, Stream destination, TransferRange range, ByteProgress? progress, CancellationToken cancel) => throw new NotSupportedException();
    public void Wipe(PoolDefinition pool, VolumeDefinition volume, WipeAlgorithm algorithm, ByteProgress? progress, CancellationToken cancel) => throw new NotSupportedException();
}
