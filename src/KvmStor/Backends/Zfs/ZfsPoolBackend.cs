using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.Backends.Zfs;

/// <summary>
/// A ZFS pool, or a dataset inside one when the source name has a '/'; its zvols are the volumes, at
/// /dev/zvol/&lt;name&gt;/&lt;vol&gt;. Everything goes through zfs and zpool with libvirt's command lines; names zfs would
/// refuse are refused before anything runs.
/// </summary>
public sealed partial class ZfsPoolBackend : IPoolBackend, IPoolChecker, IPoolBuilder, IPoolDeleter,
    IVolumeBackend, IVolumeCreator, IVolumeCloner, IVolumeDeleter, IVolumeResizer, IVolumeUploader, IVolumeDownloader, IVolumeWiper
{
    private readonly ZfsTools _zfs;
    private readonly ZvolDevices _devices;
    private readonly DeviceUsage _deviceUsage;
    private bool? _volmodeSupported;

    /// <param name="devRoot">Where /dev is for volume I/O (tests point it at a scratch directory).</param>
    /// <param name="deviceUsage">Tells which devices are mounted or swap (tests give it their own tables).</param>
    public ZfsPoolBackend(ICommandRunner runner, string? devRoot = null, DeviceUsage? deviceUsage = null)
    {
        _zfs = new ZfsTools(runner);
        _devices = new ZvolDevices(devRoot);
        _deviceUsage = deviceUsage ?? new DeviceUsage();
    }

    public PoolType Type => PoolType.Zfs;

    /// <summary>Running while the pool (or dataset) exists: a zpool is imported at boot, there is nothing to start.</summary>
    public bool CheckActive(PoolDefinition pool) => _zfs.TryRun(ZfsCommands.CheckDataset(Dataset(pool))).Success;


    /// <summary>
    /// zpool create NAME DEVICES…, or for a dataset name a non-mounted dataset inside its existing zpool. Beyond libvirt:
    /// --overwrite becomes zpool's -f (use devices that hold other data); without it zpool itself refuses them; devices
    /// in use (mounted, swap) are refused before zpool runs.
    /// </summary>
    public void Build(PoolDefinition pool, PoolBuildFlags flags)
    {
        if (flags.HasFlag(PoolBuildFlags.Overwrite) && flags.HasFlag(PoolBuildFlags.NoOverwrite))
            throw StorageException.InvalidArg(
                "Flags 'VIR_STORAGE_POOL_BUILD_OVERWRITE' and 'VIR_STORAGE_POOL_BUILD_NO_OVERWRITE' are mutually exclusive");
        string dataset = Dataset(pool);
        if (dataset.Contains('/'))
        {
            _zfs.Run(ZfsCommands.CreateDataset(dataset));
            return;
        }
        if (pool.Source.Devices.Count == 0)
            throw StorageException.Invalid("missing source devices");
        var devices = pool.Source.Devices.Select(d => d.Path).ToList();
        // Beyond libvirt: a mounted device (or one with a mounted partition, or active swap) never joins a zpool, -f or not.
        foreach (var device in devices) _deviceUsage.RequireUnused(device, includePartitions: true);
        _zfs.Run(ZfsCommands.CreatePool(dataset, devices, force: flags.HasFlag(PoolBuildFlags.Overwrite)));
    }

    /// <summary>zpool destroy, or zfs destroy -r of a dataset pool (its zvols go with it, as in libvirt).</summary>
    public void Delete(PoolDefinition pool)
    {
        string dataset = Dataset(pool);
        _zfs.Run(dataset.Contains('/') ? ZfsCommands.DestroyDataset(dataset) : ZfsCommands.DestroyPool(dataset));
    }

    /// <summary>
    /// The zpool's size, free and allocated bytes (for a dataset pool, those of the zpool holding it: libvirt asks
    /// zpool about the dataset name and gets nothing) and the zvols. Unlike libvirt, a failing zpool is an error.
    /// </summary>
    public PoolRefreshResult Refresh(PoolDefinition pool)
    {
        string dataset = Dataset(pool);
        var properties = ZfsOutput.ParsePoolProperties(_zfs.Run(ZfsCommands.PoolProperties(ZfsNames.PoolOf(dataset))).StandardOutput);
        return new PoolRefreshResult
        {
            Capacity = properties.Size,
            Allocation = properties.Allocated,
            Available = properties.Free,
            Volumes = ListVolumes(pool),
        };
    }

    /// <summary>The pool's source name (libvirt defaults it to the pool name), checked against ZFS's rules.</summary>
    private static string Dataset(PoolDefinition pool)
    {
        string name = pool.Source.Name ?? pool.Name;
        ZfsNames.RequireValidDataset(name);
        return name;
    }

    /// <summary>libvirt forces /dev/zvol/&lt;source name&gt; as the target.</summary>
    private static string TargetPath(PoolDefinition pool) => pool.TargetPath ?? "/dev/zvol/" + Dataset(pool);
}
