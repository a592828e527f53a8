using System.Collections.Concurrent;
using KvmStor.Host;
using KvmStor.Images;
using KvmStor.Model;

namespace KvmStor.Backends.Scsi;

/// <summary>
/// libvirt's "scsi" pool (spec §3.6): the LUNs of one SCSI host adapter — found by name, by PCI parent address and
/// unique_id, or as a Fibre Channel vHBA by WWNN/WWPN — are the volumes. Volumes cannot be created or deleted here;
/// their data can be uploaded, downloaded and wiped. Everything host-side goes through sysfs/devfs under
/// <see cref="HostRoots"/> and udev's scsi_id through the command runner.
/// </summary>
public sealed class ScsiPoolBackend : IPoolBackend, IVolumeBackend
{
    private readonly HostRoots _roots;
    private readonly ScsiHosts _scsiHosts;
    private readonly ScsiAdapterResolver _adapters;
    private readonly VhbaManager _vhbas;
    private readonly ScsiLunScanner _luns;
    private readonly StableDevicePath _stablePaths;
    private readonly ScsiSerial _serials;
    /// <summary>Pools whose vHBA this process created at start: refresh marks them managed, a failed start removes the vHBA again.</summary>
    private readonly ConcurrentDictionary<Guid, bool> _createdAtStart = new();

    public ScsiPoolBackend() : this(ProcessCommandRunner.Instance, HostRoots.System, TimeSpan.FromSeconds(10)) { }

    /// <param name="vhbaTimeout">How long start waits for a new vHBA to appear after vport_create.</param>
    public ScsiPoolBackend(ICommandRunner runner, HostRoots roots, TimeSpan vhbaTimeout)
    {
        _roots = roots;
        _scsiHosts = new ScsiHosts(roots);
        var fcHosts = new FcHosts(roots);
        _adapters = new ScsiAdapterResolver(_scsiHosts, fcHosts);
        _vhbas = new VhbaManager(_scsiHosts, fcHosts, vhbaTimeout);
        _luns = new ScsiLunScanner(roots);
        _stablePaths = new StableDevicePath(roots);
        _serials = new ScsiSerial(runner);
    }

    public PoolType Type => PoolType.Scsi;

    public BackendCapabilities Capabilities =>
        BackendCapabilities.Check | BackendCapabilities.Start | BackendCapabilities.Stop | BackendCapabilities.Refresh
        | BackendCapabilities.UploadVolume | BackendCapabilities.DownloadVolume | BackendCapabilities.WipeVolume;

    /// <summary>Running while the adapter's SCSI host exists; an fc_host whose vHBA is not there yet is simply inactive.</summary>
    public bool CheckActive(PoolDefinition pool) => _adapters.TryResolve(pool.Source.Adapter) is { } host && _scsiHosts.Exists(host);

    public void Build(PoolDefinition pool, PoolBuildFlags flags) { }

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

    public void Delete(PoolDefinition pool) => throw StorageException.NoSupport("pool does not support pool deletion");

    /// <summary>Rescans the host, then lists its disk and cdrom LUNs; capacity and allocation are their sums.</summary>
    public PoolRefreshResult Refresh(PoolDefinition pool)
    {
        uint host = _adapters.Resolve(pool.Source.Adapter);
        _scsiHosts.TriggerScan(host);
        var volumes = Volumes(pool, host);
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

    public string FindSources(string? sourceSpecXml) =>
        throw StorageException.NoSupport("pool type 'scsi' does not support source discovery");

    public IReadOnlyList<VolumeDefinition> ListVolumes(PoolDefinition pool) => Volumes(pool, _adapters.Resolve(pool.Source.Adapter));

    /// <summary>Only the named LUN is read (and asked for its serial): a large array need not run scsi_id per LUN for one lookup.</summary>
    public VolumeDefinition? FindVolume(PoolDefinition pool, string name) =>
        Volumes(pool, _adapters.Resolve(pool.Source.Adapter), lun => lun.VolumeName == name).FirstOrDefault();

    public VolumeDefinition? FindVolumeByKeyOrPath(PoolDefinition pool, string keyOrPath) =>
        ListVolumes(pool).FirstOrDefault(v => v.Key == keyOrPath || v.Target.Path == keyOrPath);

    public VolumeDefinition CreateVolume(PoolDefinition pool, VolumeDefinition volume, VolumeCreateFlags flags, ByteProgress? progress, CancellationToken cancel) =>
        throw StorageException.NoSupport("storage pool does not support volume creation");

    public VolumeDefinition CreateVolumeFrom(PoolDefinition pool, VolumeDefinition volume, PoolDefinition sourcePool, VolumeDefinition source,
        VolumeCreateFlags flags, ByteProgress? progress, CancellationToken cancel) =>
        throw StorageException.NoSupport("storage pool does not support volume creation from an existing volume");

    public void DeleteVolume(PoolDefinition pool, VolumeDefinition volume, VolumeDeleteFlags flags) =>
        throw StorageException.NoSupport("storage pool does not support vol deletion");

    public void ResizeVolume(PoolDefinition pool, VolumeDefinition volume, ulong capacity, VolumeResizeFlags flags) =>
        throw StorageException.NoSupport("storage pool does not support changing of volume capacity");

    public void Upload(PoolDefinition pool, VolumeDefinition volume, Stream source, TransferRange range, ByteProgress? progress, CancellationToken cancel) =>
        BlockVolumeIo.Upload(DeviceOf(pool, volume), source, range, progress, cancel);

    public void Download(PoolDefinition pool, VolumeDefinition volume, Stream destination, TransferRange range, ByteProgress? progress, CancellationToken cancel) =>
        BlockVolumeIo.Download(DeviceOf(pool, volume), destination, range, progress, cancel);

    public void Wipe(PoolDefinition pool, VolumeDefinition volume, WipeAlgorithm algorithm, ByteProgress? progress, CancellationToken cancel) =>
        BlockVolumeIo.Wipe(DeviceOf(pool, volume), algorithm, progress, cancel);

    /// <summary>The device file behind a volume, looked up afresh (LUNs come and go with rescans).</summary>
    private string DeviceOf(PoolDefinition pool, VolumeDefinition volume)
    {
        var current = FindVolume(pool, volume.Name)
            ?? throw new StorageException(ErrorCode.NoStorageVolume, $"no storage vol with matching name '{volume.Name}'");
        return _roots.OnHost(current.Target.Path!);
    }

    private List<VolumeDefinition> Volumes(PoolDefinition pool, uint host, Func<ScsiLun, bool>? which = null)
    {
        bool npiv = pool.Source.Adapter?.Kind == AdapterKind.FcHost;
        var volumes = new List<VolumeDefinition>();
        foreach (var lun in _luns.List(host))
            if ((which is null || which(lun)) && ToVolume(pool, lun, npiv) is { } volume)
                volumes.Add(volume);
        return volumes;
    }

    /// <summary>A LUN as a block volume at its stable path; null (skipped, as libvirt does) when the target holds no link to it.</summary>
    private VolumeDefinition? ToVolume(PoolDefinition pool, ScsiLun lun, bool npiv)
    {
        string? target = pool.TargetPath;
        if (!StableDevicePath.IsStableTarget(target) && !StableDevicePath.IsDevRoot(target))
            throw StorageException.InvalidArg($"unable to use target path '{target}' for dev '{lun.BlockDevice}'");
        string path = _stablePaths.Find(target, lun.DevicePath);
        if (path == lun.DevicePath && !StableDevicePath.IsDevRoot(target)) return null;

        string onHost = _roots.OnHost(path);
        if (!FileSystem.TryStat(onHost, true, out var status, out _)) return null;
        ulong size = lun.Size ?? DeviceSize(onHost, status);
        return new VolumeDefinition
        {
            Type = VolumeType.Block,
            Name = lun.VolumeName,
            Key = _serials.KeyFor(onHost, npiv, path),
            Capacity = size,
            Allocation = size,
            HasAllocation = true,
            // libvirt reads block volumes like any device: physical is the device size.
            Physical = size,
            Target = new VolumeTarget
            {
                Path = path,
                Permissions = new Permissions { Mode = status.Mode & 0x1FF, Owner = status.Owner, Group = status.Group },
                Timestamps = new VolumeTimestamps(status.Accessed.ToLibvirtString(), status.Modified.ToLibvirtString(),
                    status.Changed.ToLibvirtString(), "0"),
            },
        };
    }

    private static ulong DeviceSize(string path, FileSystemStatus status)
    {
        if (status.Kind != FileKind.BlockDevice) return status.Size;
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
            return FileSystem.BlockDeviceSize(handle);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }
}
