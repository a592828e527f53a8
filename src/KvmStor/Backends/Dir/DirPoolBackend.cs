using KvmStor.Backends.Local;
using KvmStor.Model;

namespace KvmStor.Backends.Dir;

/// <summary>
/// A directory on the host's filesystem. Nothing to start or stop: the pool is usable whenever the directory exists.
/// </summary>
public sealed class DirPoolBackend : IPoolBackend
{
    public PoolType Type => PoolType.Dir;

    public BackendCapabilities Capabilities =>
        BackendCapabilities.Check | BackendCapabilities.Build | BackendCapabilities.Delete | BackendCapabilities.Refresh;

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
}
