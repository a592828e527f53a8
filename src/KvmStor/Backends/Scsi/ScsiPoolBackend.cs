using System.Collections.Concurrent;
using KvmStor.Backends.Devices;
using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.Backends.Scsi;

/// <summary>
/// libvirt's "scsi" pool (spec §3.6): the LUNs of one SCSI host adapter — found by name, by PCI parent address and
/// unique_id, or as a Fibre Channel vHBA by WWNN/WWPN — are the volumes. Volumes cannot be created or deleted here;
/// their data can be uploaded, downloaded and wiped (<see cref="DeviceVolumeBackend"/>). Everything host-side goes
/// through sysfs/devfs under <see cref="HostRoots"/> and udev's scsi_id through the command runner.
/// </summary>
public sealed class ScsiPoolBackend : DeviceVolumeBackend, IPoolBackend, IPoolChecker, IPoolStarter, IPoolStopper
{
    private readonly ScsiHosts _scsiHosts;
    private readonly ScsiAdapterResolver _adapters;
    private readonly VhbaManager _vhbas;
    private readonly ScsiLunVolumes _luns;
    private readonly ScsiSerial _serials;
    /// <summary>Pools whose vHBA this process created at start: refresh marks them managed, a failed start removes the vHBA again.</summary>
    private readonly ConcurrentDictionary<Guid, bool> _createdAtStart = new();

    public ScsiPoolBackend(ICommandRunner runner) : this(runner, HostRoots.System, TimeSpan.FromSeconds(10)) { }

    /// <param name="vhbaTimeout">How long start waits for a new vHBA to appear after vport_create.</param>
    public ScsiPoolBackend(ICommandRunner runner, HostRoots roots, TimeSpan vhbaTimeout) : base(roots)
    {
        _scsiHosts = new ScsiHosts(roots);
        var fcHosts = new FcHosts(roots);
        _adapters = new ScsiAdapterResolver(_scsiHosts, fcHosts);
        _vhbas = new VhbaManager(_scsiHosts, fcHosts, vhbaTimeout);
        _luns = new ScsiLunVolumes(roots);
        _serials = new ScsiSerial(runner);
    }

    public PoolType Type => PoolType.Scsi;

    /// <summary>Running while the adapter's SCSI host exists; an fc_host whose vHBA is not there yet is simply inactive.</summary>
    public bool CheckActive(PoolDefinition pool) => _adapters.TryResolve(pool.Source.Adapter) is { } host && _scsiHosts.Exists(host);

    /// <summary>fc_host adapters get their vHBA created when it does not exist; scsi_host adapters need nothing.</summary>
    public void Start(PoolDefinition pool)
    {
        var adapter = pool.Source.Adapter ?? throw StorageException.Xml("missing storage pool source adapter");
        if (adapter.Kind == AdapterKind.FcHost && _vhbas.Ensure(adapter))
            _createdAtStart[pool.Uuid] = true;
    }

    /// <summary>Deletes the vHBA of a managed fc_host adapter (or one this process created at a start that then failed).</summary>
    public void Stop(PoolDefinition pool)
    {
        var adapter = pool.Source.Adapter;
        bool createdHere = _createdAtStart.TryRemove(pool.Uuid, out _);
        if (adapter is { Kind: AdapterKind.FcHost } && (adapter.Managed == true || createdHere))
            _vhbas.Delete(adapter);
    }

    /// <summary>Rescans the host, then lists its disk and cdrom LUNs; capacity and allocation are their sums.</summary>
    public PoolRefreshResult Refresh(PoolDefinition pool)
    {
        uint host = _adapters.Resolve(pool.Source.Adapter);
        _scsiHosts.TriggerScan(host);
        var volumes = _luns.List(pool.TargetPath, host).Select(v => WithKey(pool, v)).ToList();
        ulong capacity = 0, allocation = 0;
        foreach (var v in volumes)
        {
            capacity += v.Capacity;
            allocation += v.Allocation;
        }
        return new PoolRefreshResult
        {
            Capacity = capacity,
            Allocation = allocation,
            Available = 0,
            Volumes = volumes,
            // As libvirt: a vHBA the pool created is the pool's to delete, which the definition records as managed='yes'.
            Source = _createdAtStart.ContainsKey(pool.Uuid) && pool.Source.Adapter is { } a
                ? pool.Source with { Adapter = a with { Managed = true } }
                : null,
        };
    }

    protected override IReadOnlyList<VolumeDefinition> Devices(PoolDefinition pool) => _luns.List(pool.TargetPath, _adapters.Resolve(pool.Source.Adapter));

    /// <summary>The LUN's serial from scsi_id, asked about the device file as this host opens it; a vHBA's LUNs are keyed per port.</summary>
    protected override VolumeDefinition WithKey(PoolDefinition pool, VolumeDefinition volume) =>
        _serials.Keyed(volume, Roots.OnHost(volume.Target.Path!), npiv: pool.Source.Adapter?.Kind == AdapterKind.FcHost);
}
