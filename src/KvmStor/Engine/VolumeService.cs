using KvmStor.Backends;
using KvmStor.Images;
using KvmStor.Model;
using KvmStor.Xml;

namespace KvmStor.Engine;

/// <summary>
/// Volumes: list, create, clone, delete, resize, upload, download, wipe, XML. Every operation on an existing volume goes
/// through one prologue (<see cref="BeginVolumeOperation"/>). Finding a volume is the job of <see cref="Lookups"/>.
/// </summary>
public sealed partial class VolumeService
{
    private readonly PoolRecords _records;
    private readonly EngineLocks _locks;
    private readonly GuestService _guests;

    internal VolumeService(PoolRecords records, EngineLocks locks, GuestService guests)
    {
        _records = records;
        _locks = locks;
        _guests = guests;
    }

    public IReadOnlyList<VolumeDefinition> List(string poolName)
    {
        using var shared = _locks.PoolShared(poolName);
        var (pool, backend) = _records.ActivePool(poolName);
        return backend.ListVolumes(pool).OrderBy(v => v.Name, StringComparer.OrdinalIgnoreCase).ToList();
    }

    /// <summary>The volumes of every running pool, pool by pool in name order; a pool that cannot list its volumes is left out.</summary>
    public IReadOnlyList<VolumeHandle> OfRunningPools()
    {
        var volumes = new List<VolumeHandle>();
        foreach (var record in _records.LoadAll().Where(r => r.Active).OrderBy(r => r.Name, StringComparer.Ordinal))
        {
            if (_records.Backends.Find(record.Live!.Type) is not IVolumeBackend) continue;
            try
            {
                foreach (var volume in List(record.Name))
                    volumes.Add(new VolumeHandle(record.Name, record.Live.Uuid, record.Live.Type, volume));
            }
            catch (StorageException) { }
        }
        return volumes;
    }

    public string GetXml(VolumeHandle volume) => VolumeXml.Format(volume.Volume, volume.PoolType);

    /// <summary>vol-create: parse the volume XML with the pool's rules and build it.</summary>
    public VolumeHandle Create(string poolName, string xml, VolumeCreateFlags flags, ByteProgress? progress = null, CancellationToken cancel = default)
    {
        using var shared = _locks.PoolShared(poolName);
        var (pool, backend) = _records.ActivePool(poolName);
        var volume = WithoutDefaultedBackingFormat(VolumeXml.Parse(xml, pool.Type, VolumeParseOptions.OptionalCapacity), xml);
        using var volumeLock = _locks.Volume(pool.Name, volume.Name);
        // libvirt's order: the name clash is reported before a missing capability.
        if (backend.FindVolume(pool, volume.Name) is not null)
            throw new StorageException(ErrorCode.StorageVolumeExists, $"storage volume '{volume.Name}' exists already");
        var created = Require<IVolumeCreator>(backend).CreateVolume(pool, volume, flags, progress, cancel);
        AccountAllocation(pool.Name, (long)created.Allocation);
        return new VolumeHandle(pool.Name, pool.Uuid, pool.Type, created);
    }

    /// <summary>vol-create-from / vol-clone: a new volume in <paramref name="poolName"/> with the content of <paramref name="source"/>.</summary>
    public VolumeHandle CreateFrom(string poolName, string xml, VolumeHandle source, VolumeCreateFlags flags, ByteProgress? progress = null, CancellationToken cancel = default)
    {
        using var shared = _locks.PoolShared(poolName);
        // The source pool may not stop, and the source may not change, while it is being read.
        using var sourceShared = source.PoolName == poolName ? null : _locks.PoolShared(source.PoolName);
        var (pool, backend) = _records.ActivePool(poolName);
        var (sourcePool, sourceBackend) = _records.ActivePool(source.PoolName);
        var volume = VolumeXml.Parse(xml, pool.Type, VolumeParseOptions.NoCapacity);
        RefuseCloneOntoSource(pool.Name, volume.Name, source);
        // One acquisition for both: when they are the same volume, it is locked once (exclusively) instead of twice.
        using var volumeLocks = _locks.Volumes(new(pool.Name, volume.Name, true), new(sourcePool.Name, source.Name, false));
        if (backend.FindVolume(pool, volume.Name) is not null)
            throw StorageException.Internal($"storage volume name '{volume.Name}' already in use.");
        // The source as it is now (another process may have resized or removed it since the lookup).
        var input = sourceBackend.FindVolume(sourcePool, source.Name)
            ?? throw new StorageException(ErrorCode.NoStorageVolume, $"no storage vol with matching name '{source.Name}'");
        // The new volume is at least as large as its source; without <allocation> it is fully allocated (libvirt's rules).
        if (!volume.HasCapacity || volume.Capacity < input.Capacity)
            volume = volume with { Capacity = input.Capacity, HasCapacity = true };
        if (!volume.HasAllocation)
            volume = volume with { Allocation = volume.Capacity };
        var created = Require<IVolumeCloner>(backend).CreateVolumeFrom(pool, volume, sourcePool, input, flags, progress, cancel);
        AccountAllocation(pool.Name, (long)created.Allocation);
        return new VolumeHandle(pool.Name, pool.Uuid, pool.Type, created);
    }

    /// <summary>vol-delete; refused while a defined guest uses the volume unless <paramref name="force"/>.</summary>
    public void Delete(VolumeHandle volume, VolumeDeleteFlags flags, bool force = false)
    {
        using var operation = BeginVolumeOperation(volume, new(ProtectUsers: true, force,
            BackendCapabilities.DeleteVolume, Exclusive: true, Reread: false));
        Require<IVolumeDeleter>(operation.Backend).DeleteVolume(operation.Pool, operation.Volume, flags);
        AccountAllocation(operation.Pool.Name, -(long)operation.Volume.Allocation);
    }

    /// <summary>
    /// As libvirt: a created or deleted volume moves the running pool's allocation and available by its own allocation,
    /// so pool-info is right without a refresh. Under the driver lock, as concurrent volume operations share the pool lock.
    /// </summary>
    private void AccountAllocation(string poolName, long delta)
    {
        if (delta == 0) return;
        using var driver = _locks.Driver();
        if (_records.Status.Load(poolName) is not { } live) return;
        ulong allocation = ClampedAdd(live.Allocation, delta);
        ulong available = ClampedAdd(live.Available, -delta);
        _records.Status.SaveSizes(live with { Allocation = allocation, Available = available });
    }

    private static ulong ClampedAdd(ulong value, long delta) =>
        delta >= 0 ? (ulong.MaxValue - value < (ulong)delta ? ulong.MaxValue : value + (ulong)delta)
                   : ((ulong)(-delta) > value ? 0 : value - (ulong)(-delta));

    /// <summary>
    /// vol-resize with libvirt's rules: --delta adds (or with --shrink subtracts) <paramref name="size"/>; shrinking needs
    /// --shrink and may not go below the allocation; --allocate must fit in the pool.
    /// </summary>
    public ulong Resize(VolumeHandle volume, ulong size, VolumeResizeFlags flags, bool force = false,
        ByteProgress? progress = null, CancellationToken cancel = default)
    {
        // Growing is harmless to a guest; shrinking can cut its file system. The capability is checked after the size
        // rules, as libvirt does; the size is computed from the volume as it is now.
        using var operation = BeginVolumeOperation(volume, new(ProtectUsers: flags.HasFlag(VolumeResizeFlags.Shrink), force,
            Capability: null, Exclusive: true, Reread: true));
        var (pool, backend, current) = (operation.Pool, operation.Backend, operation.Volume);
        ulong capacity;
        if (flags.HasFlag(VolumeResizeFlags.Delta))
        {
            // A delta shrink stops at 0 (libvirt clamps); the allocation check below then decides.
            if (flags.HasFlag(VolumeResizeFlags.Shrink)) capacity = current.Capacity - Math.Min(size, current.Capacity);
            else
            {
                capacity = current.Capacity + size;
                if (capacity < current.Capacity) throw StorageException.InvalidArg("capacity overflow");
            }
        }
        else capacity = size;

        // libvirt checks the allocation first: "vol-resize v1 5M" on a fully allocated 10M volume reports it.
        if (capacity < current.Allocation)
            throw StorageException.InvalidArg("can't shrink capacity below existing allocation");
        if (capacity < current.Capacity && !flags.HasFlag(VolumeResizeFlags.Shrink))
            throw StorageException.InvalidArg("Can't shrink capacity below current capacity unless shrink flag explicitly specified");
        if (flags.HasFlag(VolumeResizeFlags.Allocate) && capacity > current.Allocation && capacity - current.Allocation > PoolAvailable(pool, backend))
            throw StorageException.Failed("Not enough space left in storage pool");
        var resizer = Require<IVolumeResizer>(backend);
        // Allocation is one fallocate (or one qemu-img run): it can be cancelled before it starts and reports once done.
        cancel.ThrowIfCancellationRequested();
        resizer.ResizeVolume(pool, current, capacity, flags);
        if (flags.HasFlag(VolumeResizeFlags.Allocate)) progress?.Invoke((long)capacity, (long)capacity);
        return capacity;
    }

    public void Upload(VolumeHandle volume, Stream source, TransferRange range, ByteProgress? progress = null, CancellationToken cancel = default, bool force = false)
    {
        RefuseUploadFromItself(volume, source);
        using var operation = BeginVolumeOperation(volume, new(ProtectUsers: true, force,
            BackendCapabilities.UploadVolume, Exclusive: true, Reread: false));
        Require<IVolumeUploader>(operation.Backend).Upload(operation.Pool, operation.Volume, source, range, progress, cancel);
        _records.Emit(operation.Pool, null); // libvirt refreshes the pool after an upload stream closes
    }

    public void Download(VolumeHandle volume, Stream destination, TransferRange range, ByteProgress? progress = null, CancellationToken cancel = default)
    {
        RefuseDownloadIntoItself(volume, destination);
        // Reading harms no guest: no protection check, and a shared volume lock.
        using var operation = BeginVolumeOperation(volume, new(ProtectUsers: false, Force: false,
            BackendCapabilities.DownloadVolume, Exclusive: false, Reread: false));
        Require<IVolumeDownloader>(operation.Backend).Download(operation.Pool, operation.Volume, destination, range, progress, cancel);
    }

    public void Wipe(VolumeHandle volume, WipeAlgorithm algorithm, ByteProgress? progress = null, CancellationToken cancel = default, bool force = false)
    {
        using var operation = BeginVolumeOperation(volume, new(ProtectUsers: true, force,
            BackendCapabilities.WipeVolume, Exclusive: true, Reread: false));
        Require<IVolumeWiper>(operation.Backend).Wipe(operation.Pool, operation.Volume, algorithm, progress, cancel);
    }

    /// <summary>
    /// The parser fills in the pool's default format ("raw") for a &lt;backingStore&gt; without &lt;format&gt;; the backend
    /// should probe the backing file instead (libvirt records "raw", which breaks qcow2-on-qcow2 overlays).
    /// </summary>
    private static VolumeDefinition WithoutDefaultedBackingFormat(VolumeDefinition volume, string xml)
    {
        if (volume.BackingStore is null) return volume;
        var format = SafeXml.Parse(xml, "storage_vol_definition").Root?.Element("backingStore")?.Element("format")?.Attribute("type");
        return format is null ? volume with { BackingStore = volume.BackingStore with { Format = null } } : volume;
    }

    /// <summary>The pool's backend as the interface of a capability, or libvirt's "does not support" error (one table).</summary>
    private static T Require<T>(IVolumeBackend backend) where T : class => BackendCapabilityTable.Require<T>((IPoolBackend)backend);

    private static ulong PoolAvailable(PoolDefinition pool, IVolumeBackend backend) =>
        ((IPoolBackend)backend).Refresh(pool).Available;
}
