using KvmStor.Backends.Local;
using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.Backends.Dir;

/// <summary>
/// A directory on the host's filesystem. Nothing to start or stop: the pool is usable whenever the directory exists.
/// </summary>
public sealed class DirPoolBackend(ICommandRunner runner) : FileVolumePoolBackend(runner)
{
    public override PoolType Type => PoolType.Dir;

    public override bool CheckActive(PoolDefinition pool) => Directory.Exists(LocalTargetDirectory.RequirePath(pool));

    public override void Build(PoolDefinition pool, PoolBuildFlags flags)
    {
        // --overwrite / --no-overwrite ask for mkfs, which needs a source device a dir pool never has (libvirt's rule).
        if ((flags & (PoolBuildFlags.Overwrite | PoolBuildFlags.NoOverwrite)) != 0)
            throw StorageException.Invalid($"No source device specified when formatting pool '{pool.Name}'");
        LocalTargetDirectory.Build(pool);
    }
}
