using KvmStor.Backends.Local;
using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.Backends.Fs;

/// <summary>
/// What fs and netfs pools share: the pool is a filesystem mounted on the target directory. It is running iff the
/// mount table shows the pool's source on the target; start mounts, stop unmounts (each only when needed, as in
/// libvirt); the target directory and its files are handled as in a dir pool.
/// </summary>
public abstract class MountedPoolBackend : IPoolBackend
{
    protected ICommandRunner Runner { get; }
    private readonly string _mountTablePath;

    /// <param name="runner">Runs mount, umount, mkfs and the probes (tests replay recorded output).</param>
    /// <param name="mountTablePath">The mount table to read; /proc/self/mounts on a real host.</param>
    protected MountedPoolBackend(ICommandRunner? runner, string? mountTablePath)
    {
        Runner = runner ?? ProcessCommandRunner.Instance;
        _mountTablePath = mountTablePath ?? MountTable.DefaultPath;
    }

    public abstract PoolType Type { get; }
    public abstract BackendCapabilities Capabilities { get; }

    /// <summary>libvirt's validity check of the pool's source before any mount-table lookup.</summary>
    protected abstract void Validate(PoolDefinition pool);

    public abstract void Build(PoolDefinition pool, PoolBuildFlags flags);

    public abstract string FindSources(string? sourceSpecXml);

    protected MountTable ReadMountTable() => MountTable.Read(_mountTablePath);

    public bool CheckActive(PoolDefinition pool)
    {
        Validate(pool);
        return IsMounted(pool);
    }

    public void Start(PoolDefinition pool)
    {
        Validate(pool);
        if (IsMounted(pool)) return;
        Runner.RunChecked(MountCommand.Mount(pool));
    }

    public void Stop(PoolDefinition pool)
    {
        Validate(pool);
        if (!IsMounted(pool)) return;
        Runner.RunChecked(MountCommand.Unmount(pool));
    }

    public void Delete(PoolDefinition pool) => LocalTargetDirectory.Delete(pool);

    public PoolRefreshResult Refresh(PoolDefinition pool) =>
        LocalTargetDirectory.ReadState(pool) with { Volumes = LocalVolumeScanner.Scan(LocalTargetDirectory.RequirePath(pool)) };

    private bool IsMounted(PoolDefinition pool) =>
        ReadMountTable().IsMounted(MountCommand.PoolSource(pool), LocalTargetDirectory.RequirePath(pool));

    /// <summary>
    /// libvirt's rule for --overwrite / --no-overwrite: they mean "make a filesystem", which needs a source device.
    /// </summary>
    protected static string RequireDeviceToFormat(PoolDefinition pool)
    {
        if (pool.Source.Devices.Count == 0)
            throw StorageException.Invalid($"No source device specified when formatting pool '{pool.Name}'");
        string device = pool.Source.Devices[0].Path;
        if (!Path.Exists(device))
            throw StorageException.Invalid($"Source device does not exist when formatting pool '{pool.Name}'");
        return device;
    }
}
