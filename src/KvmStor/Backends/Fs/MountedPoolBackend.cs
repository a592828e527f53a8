using KvmStor.Backends.Local;
using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.Backends.Fs;

/// <summary>
/// What fs and netfs pools share: the pool is a filesystem mounted on the target directory. It is running iff the
/// mount table shows the pool's source on the target; start mounts, stop unmounts (each only when needed, as in
/// libvirt); the target directory and its files are handled as in a dir pool.
/// </summary>
public abstract class MountedPoolBackend : FileVolumePoolBackend, IPoolStarter, IPoolStopper, ISourceFinder
{
    private readonly string _mountTablePath;

    /// <param name="runner">Runs mount, umount, mkfs and the probes (tests replay recorded output).</param>
    /// <param name="mountTablePath">The mount table to read; /proc/self/mounts on a real host.</param>
    protected MountedPoolBackend(ICommandRunner runner, string? mountTablePath)
        : base(runner)
    {
        _mountTablePath = mountTablePath ?? MountTable.DefaultPath;
    }

    /// <summary>libvirt's validity check of the pool's source before any mount-table lookup.</summary>
    protected abstract void Validate(PoolDefinition pool);

    protected MountTable ReadMountTable() => MountTable.Read(_mountTablePath);

    public override bool CheckActive(PoolDefinition pool)
    {
        Validate(pool);
        return WaitOnServer($"mount check of {MountCommand.PoolSource(pool)}", () => IsMounted(pool));
    }

    /// <summary>Each type finds its own sources (fs: local block devices; netfs: a server's exports).</summary>
    public abstract IReadOnlyList<PoolSource> FindSources(string? sourceSpecXml);

    public void Start(PoolDefinition pool)
    {
        Validate(pool);
        string source = MountCommand.PoolSource(pool);
        if (WaitOnServer($"mount check of {source}", () => IsMounted(pool))) return;
        BeforeMount(pool);
        Runner.RunChecked(OnServer(MountCommand.Mount(pool), $"mount of {source}"));
    }

    public void Stop(PoolDefinition pool)
    {
        Validate(pool);
        string source = MountCommand.PoolSource(pool);
        if (!WaitOnServer($"mount check of {source}", () => IsMounted(pool))) return;
        var unmount = UnmountCommand(pool);
        Runner.RunChecked(OnServer(unmount, $"unmount of {source}"));
    }

    /// <summary>umount target, as libvirt runs it; network pools may choose a detach that cannot block instead.</summary>
    protected virtual CommandLine UnmountCommand(PoolDefinition pool) => MountCommand.Unmount(pool);

    /// <summary>
    /// Runs a step that may wait on the pool's server. A local filesystem just runs it; network pools bound it, so
    /// that a dead server fails the command instead of hanging it (the mount point of a dead FUSE or NFS mount
    /// blocks even a stat).
    /// </summary>
    protected virtual T WaitOnServer<T>(string what, Func<T> step) => step();

    /// <summary>A command that may wait on the pool's server (mount, umount): network pools give it a time limit.</summary>
    protected virtual CommandLine OnServer(CommandLine command, string what) => command;

    /// <summary>A last check before mount runs (network pools: is the server there at all?).</summary>
    protected virtual void BeforeMount(PoolDefinition pool) { }

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
