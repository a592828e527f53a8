using KvmStor.Backends;
using KvmStor.Model;
using KvmStor.Xml;

namespace KvmStor.Engine;

/// <summary>
/// Pools: the life cycle (define, create, build, start, destroy, delete, undefine, autostart, refresh), what they look
/// like (info, XML, capabilities, sources), their events, and autostart at boot. Finding a pool is the job of <see cref="Lookups"/>.
/// </summary>
public sealed partial class PoolService
{
    private readonly PoolRecords _records;
    private readonly EngineLocks _locks;
    private readonly GuestService _guests;

    internal PoolService(PoolRecords records, EngineLocks locks, GuestService guests)
    {
        _records = records;
        _locks = locks;
        _guests = guests;
    }

    /// <summary>Pools matching the filter, sorted by name (case-insensitive) as virsh sorts them.</summary>
    public IReadOnlyList<PoolInfo> List(PoolListFilter filter) =>
        _records.LoadAll()
            .Select(r => r.ToInfo())
            .Where(p => filter.Active is null || p.Active == filter.Active)
            .Where(p => filter.Persistent is null || p.Persistent == filter.Persistent)
            .Where(p => filter.Autostart is null || p.Autostart == filter.Autostart)
            .Where(p => filter.Types.Count == 0 || filter.Types.Contains(p.Type))
            .OrderBy(p => p.Name, StringComparer.OrdinalIgnoreCase)
            .ToList();

    /// <summary>
    /// Pool names, sorted as pool-list sorts them. A running pool has a runtime status file and a persistent one a
    /// definition, so <paramref name="active"/> and <paramref name="persistent"/> (null: either) are answered without
    /// reading either file: a damaged file still gives its name, and the command run with it says what is wrong.
    /// For tab completion, which must not parse hundreds of definitions.
    /// </summary>
    public IReadOnlyList<string> Names(bool? active = null, bool? persistent = null)
    {
        var running = new HashSet<string>(_records.Status.Names(), StringComparer.Ordinal);
        var defined = new HashSet<string>(_records.Configs.Names(), StringComparer.Ordinal);
        var names = new HashSet<string>(running, StringComparer.Ordinal);
        names.UnionWith(defined);
        return names
            .Where(n => active is null || running.Contains(n) == active)
            .Where(n => persistent is null || defined.Contains(n) == persistent)
            .OrderBy(n => n, StringComparer.OrdinalIgnoreCase)
            .ToList();
    }

    /// <summary>pool-define: a new persistent pool, or a new definition for an existing one (applied at its next start if running).</summary>
    public PoolInfo Define(string xml)
    {
        var def = PoolXml.Parse(xml);
        PoolXml.ValidateForDefine(def);
        _records.BackendFor(def.Type);
        using var poolLock = _locks.Pool(def.Name);
        PoolRecord? existing;
        using (_locks.Driver())
        {
            var all = _records.LoadAll().ToList();
            existing = FindDuplicate(def, all, checkActive: false);
            RejectSourceConflict(def, all);
            _records.Configs.Save(def);
            if (existing?.Active == true) _records.MarkPendingDefinition(def.Name, true);
        }
        // A stopped pool's old definition has no more use for a kept connection; a running pool's live one still does.
        if (existing is { Active: false, Config: { } replaced }) _records.Backends.ForgetConnection(replaced);
        _records.Emit(def, PoolLifecycleEvent.Defined);
        return _records.Require(def.Name).ToInfo();
    }

    /// <summary>pool-create: a transient pool, started at once (built first when <paramref name="flags"/> ask).</summary>
    public PoolInfo Create(string xml, PoolBuildFlags flags)
    {
        RejectConflictingBuildFlags(flags);
        var def = PoolXml.Parse(xml);
        var backend = _records.BackendFor(def.Type);
        using var poolLock = _locks.Pool(def.Name);
        // The driver lock stays held until the status file exists, so no other process can claim the name or source meanwhile.
        using (_locks.Driver())
        {
            var all = _records.LoadAll().ToList();
            FindDuplicate(def, all, checkActive: true);
            RejectSourceConflict(def, all);
            if (flags != PoolBuildFlags.None) BuildWith(backend, def, flags);
            _records.Status.Save(StartAndRefresh(backend, def));
        }
        _records.Emit(def, PoolLifecycleEvent.Started);
        return _records.Require(def.Name).ToInfo();
    }

    public void Build(string name, PoolBuildFlags flags)
    {
        RejectConflictingBuildFlags(flags);
        using var poolLock = _locks.Pool(name);
        var record = _records.Require(name);
        if (record.Active) throw AlreadyActive(name);
        BuildWith(_records.BackendFor(record.Current.Type), record.Current, flags);
        // Only pool-build itself says Created: a build inside pool-create/pool-start --build is part of "Started",
        // as libvirt's events show (RPC capture 080: pool-create-as --build sends Started alone).
        _records.Emit(record.Current, PoolLifecycleEvent.Created);
    }

    public void Start(string name, PoolBuildFlags flags)
    {
        RejectConflictingBuildFlags(flags);
        using var poolLock = _locks.Pool(name);
        var record = _records.Require(name);
        if (record.Active) throw AlreadyActive(name);
        var def = record.Config!;
        var backend = _records.BackendFor(def.Type);
        if (flags != PoolBuildFlags.None) BuildWith(backend, def, flags);
        var live = StartAndRefresh(backend, def);
        _records.Status.Save(live);
        KeepManagedAdapter(def, live);
        _records.MarkPendingDefinition(name, false);
        _records.Emit(def, PoolLifecycleEvent.Started);
    }

    public void Destroy(string name)
    {
        using var poolLock = _locks.Pool(name);
        var record = _records.RequireActive(name);
        var backend = _records.BackendFor(record.Live!.Type);
        if (backend is IPoolStopper stopper) stopper.Stop(record.Live);
        _records.Backends.ForgetConnection(record.Live);
        if (record.Persistent) _records.RememberLastSizes(record.Live);
        _records.Status.Delete(name);
        _records.MarkPendingDefinition(name, false);
        _records.Emit(record.Live, PoolLifecycleEvent.Stopped);
    }

    /// <summary>pool-delete; refused while a defined guest uses a volume of the pool unless <paramref name="force"/>.</summary>
    public void Delete(string name, bool force = false)
    {
        _guests.CheckNotUsed(name, null, force);
        using var poolLock = _locks.Pool(name);
        var record = _records.Require(name);
        if (record.Active) throw StillActive(name);
        var backend = _records.BackendFor(record.Current.Type);
        BackendCapabilityTable.Require<IPoolDeleter>(backend).Delete(record.Current);
        _records.VolumeFormats.Drop(record.Current); // the directory and its volumes are gone; undefine keeps them (a redefinition keeps the UUID)
        _records.Emit(record.Current, PoolLifecycleEvent.Deleted);
    }

    /// <summary>pool-undefine; refused while a defined guest uses a volume of the pool unless <paramref name="force"/>.</summary>
    public void Undefine(string name, bool force = false)
    {
        _guests.CheckNotUsed(name, null, force);
        using var poolLock = _locks.Pool(name);
        var record = _records.Require(name);
        if (record.Active) throw StillActive(name);
        using (_locks.Driver()) _records.Configs.Delete(name);
        _records.Backends.ForgetConnection(record.Current);
        _records.ForgetLastSizes(name);
        _records.Emit(record.Current, PoolLifecycleEvent.Undefined);
    }

    public void SetAutostart(string name, bool autostart)
    {
        using var poolLock = _locks.Pool(name);
        var record = _records.Require(name);
        if (!record.Persistent) throw StorageException.Internal("pool has no config file");
        _records.Configs.SetAutostart(name, autostart);
    }

    public void Refresh(string name)
    {
        using var poolLock = _locks.Pool(name);
        var record = _records.RequireActive(name);
        var backend = _records.BackendFor(record.Live!.Type);
        PoolRefreshResult result;
        try
        {
            result = backend.Refresh(record.Live);
        }
        catch (StorageException)
        {
            // As libvirt: a pool that can no longer be refreshed is stopped.
            try { if (backend is IPoolStopper stopper) stopper.Stop(record.Live); }
            catch (StorageException) { }
            _records.Backends.ForgetConnection(record.Live);
            _records.Status.Delete(name);
            _records.Emit(record.Live, PoolLifecycleEvent.Stopped);
            throw;
        }
        _records.Status.Save(ApplyRefresh(record.Live, result));
        _records.Emit(record.Live, null);
    }

    public PoolInfo Info(string name) => _records.Require(name).ToInfo();

    /// <summary>pool-dumpxml: the live definition, or with <paramref name="inactive"/> the one the next start will use.</summary>
    public string GetXml(string name, bool inactive)
    {
        var record = _records.Require(name);
        bool pending = record.Active && record.Persistent && _records.HasPendingDefinition(name);
        var shown = inactive && pending ? record.Config! : record.Current;
        if (!record.Active && _records.LastSizes(name) is { } last)
            shown = shown with { Capacity = last.Capacity, Allocation = last.Allocation, Available = last.Available };
        return PoolXml.Format(shown);
    }

    /// <summary>find-storage-pool-sources: a &lt;sources&gt; document of what the type's backend finds.</summary>
    public string FindSources(string type, string? sourceSpecXml)
    {
        if (!PoolTypeNames.TryParse(type, out var poolType))
            throw StorageException.Internal($"unknown storage pool type {type}");
        var backend = _records.BackendFor(poolType);
        var finder = BackendCapabilityTable.Require<ISourceFinder>(backend);
        return SourcesXml.Format(poolType, finder.FindSources(sourceSpecXml));
    }

    /// <summary>pool-capabilities, from the backend registry.</summary>
    public string GetCapabilitiesXml() => PoolCapabilitiesXml.Format(_records.Backends.IsSupported);

    /// <summary>Whether this host has a backend for <paramref name="type"/> (the types pool-capabilities lists as supported).</summary>
    public bool IsTypeSupported(PoolType type) => _records.Backends.IsSupported(type);

    /// <summary>
    /// For a front-end that follows the event log (<see cref="WatchEvents"/>) and keeps connections (`kvmstor serve`): a
    /// pool that another process stopped or undefined no longer needs the connection kept for it here. An event read
    /// after the pool was started again (the log is polled) leaves it alone.
    /// </summary>
    public void ReleaseConnectionsAfter(PoolEvent e)
    {
        if (e.Lifecycle is not (PoolLifecycleEvent.Stopped or PoolLifecycleEvent.Undefined)) return;
        if (_records.Load(e.PoolName) is { Active: true } record && record.Current.Uuid == e.PoolUuid) return;
        _records.Backends.ForgetConnections(e.PoolUuid);
    }

    /// <summary>Events emitted by any kvmstor process on this connection from now on; blocks until cancelled.</summary>
    public IEnumerable<PoolEvent> WatchEvents(CancellationToken cancel) => _records.Events.Follow(cancel);

    private void BuildWith(IPoolBackend backend, PoolDefinition def, PoolBuildFlags flags)
    {
        // A backend without a build step builds trivially, as in libvirt.
        if (backend is IPoolBuilder builder) builder.Build(def, flags);
    }

    private static PoolDefinition StartAndRefresh(IPoolBackend backend, PoolDefinition def)
    {
        bool started = false;
        if (backend is IPoolStarter starter)
        {
            starter.Start(def);
            started = true;
        }
        try
        {
            return ApplyRefresh(def, backend.Refresh(def));
        }
        catch
        {
            if (started && backend is IPoolStopper stopper)
                try { stopper.Stop(def); } catch (StorageException) { }
            throw;
        }
    }

    private static PoolDefinition ApplyRefresh(PoolDefinition def, PoolRefreshResult result) => def with
    {
        Capacity = result.Capacity,
        Allocation = result.Allocation,
        Available = result.Available,
        Source = result.Source ?? def.Source,
        Target = def.Target is null || result.TargetPermissions is null
            ? def.Target
            : def.Target with { Permissions = result.TargetPermissions with { Label = def.Target.Permissions.Label } },
    };

    private static PoolRecord? FindDuplicate(PoolDefinition def, List<PoolRecord> all, bool checkActive)
    {
        var sameUuid = all.FirstOrDefault(r => r.Current.Uuid == def.Uuid || r.Config?.Uuid == def.Uuid);
        if (sameUuid is not null)
        {
            if (sameUuid.Name != def.Name)
                throw StorageException.Failed($"pool '{sameUuid.Name}' is already defined with uuid {def.Uuid}");
            if (checkActive && sameUuid.Active)
                throw StorageException.Invalid($"pool is already active as '{sameUuid.Name}'");
            return sameUuid;
        }
        var sameName = all.FirstOrDefault(r => r.Name == def.Name);
        if (sameName is not null)
            throw StorageException.Failed($"pool '{def.Name}' already exists with uuid {sameName.Current.Uuid}");
        return null;
    }

    private static void RejectSourceConflict(PoolDefinition def, List<PoolRecord> all)
    {
        var others = all.SelectMany(r => new[] { r.Config, r.Live }).OfType<PoolDefinition>();
        if (PoolSourceConflicts.Find(def, others) is { } other)
            throw StorageException.Failed($"Storage source conflict with pool: '{other}'");
    }

    private static void RejectConflictingBuildFlags(PoolBuildFlags flags)
    {
        if (flags.HasFlag(PoolBuildFlags.Overwrite) && flags.HasFlag(PoolBuildFlags.NoOverwrite))
            throw StorageException.InvalidArg("Options --overwrite and --no-overwrite are mutually exclusive");
    }

    private static StorageException AlreadyActive(string name) => StorageException.Invalid($"storage pool '{name}' is already active");
    private static StorageException StillActive(string name) => StorageException.Invalid($"storage pool '{name}' is still active");

    /// <summary>
    /// A vHBA the start created is the pool's to delete at stop: as libvirt, the persistent definition then says
    /// managed='yes' too, so the next start and stop (and pool-dumpxml --inactive) agree with the running pool.
    /// </summary>
    private void KeepManagedAdapter(PoolDefinition config, PoolDefinition live)
    {
        if (live.Source.Adapter is not { Managed: true } || config.Source.Adapter is not { Managed: not true } adapter) return;
        using var driver = _locks.Driver();
        _records.Configs.Save(config with { Source = config.Source with { Adapter = adapter with { Managed = true } } });
    }
}
