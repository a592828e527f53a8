using KvmStor.Backends;
using KvmStor.Model;
using KvmStor.Xml;

namespace KvmStor.Engine;

// Pool life cycle: define, create, build, start, destroy, delete, undefine, autostart, refresh, inspect.
public sealed partial class StorageHost
{
    /// <summary>Pools matching the filter, sorted by name (case-insensitive) as virsh sorts them.</summary>
    public IReadOnlyList<PoolInfo> ListPools(PoolListFilter filter) =>
        LoadAllRecords()
            .Select(r => r.ToInfo())
            .Where(p => filter.Active is null || p.Active == filter.Active)
            .Where(p => filter.Persistent is null || p.Persistent == filter.Persistent)
            .Where(p => filter.Autostart is null || p.Autostart == filter.Autostart)
            .Where(p => filter.Types.Count == 0 || filter.Types.Contains(p.Type))
            .OrderBy(p => p.Name, StringComparer.OrdinalIgnoreCase)
            .ToList();

    public PoolInfo LookupPool(string nameOrUuid) => Lookup.PoolByNameOrUuid(nameOrUuid);

    public PoolInfo LookupPoolByName(string name) => Lookup.PoolByName(name);

    public PoolInfo LookupPoolByUuid(string uuid) => Lookup.PoolByUuid(uuid);

    /// <summary>pool-define: a new persistent pool, or a new definition for an existing one (applied at its next start if running).</summary>
    public PoolInfo DefinePool(string xml)
    {
        var def = PoolXml.Parse(xml);
        PoolXml.ValidateForDefine(def);
        BackendFor(def.Type);
        using var poolLock = LockPool(def.Name);
        using (LockDriver())
        {
            var all = LoadAllRecords().ToList();
            var existing = FindDuplicate(def, all, checkActive: false);
            RejectSourceConflict(def, all);
            _configs.Save(def);
            if (existing?.Active == true) MarkPendingDefinition(def.Name, true);
        }
        Emit(def, PoolLifecycleEvent.Defined);
        return RequireRecord(def.Name).ToInfo();
    }

    /// <summary>pool-create: a transient pool, started at once (built first when <paramref name="flags"/> ask).</summary>
    public PoolInfo CreatePool(string xml, PoolBuildFlags flags)
    {
        RejectConflictingBuildFlags(flags);
        var def = PoolXml.Parse(xml);
        var backend = BackendFor(def.Type);
        using var poolLock = LockPool(def.Name);
        // The driver lock stays held until the status file exists, so no other process can claim the name or source meanwhile.
        using (LockDriver())
        {
            var all = LoadAllRecords().ToList();
            FindDuplicate(def, all, checkActive: true);
            RejectSourceConflict(def, all);
            if (flags != PoolBuildFlags.None) Build(backend, def, flags);
            _status.Save(StartAndRefresh(backend, def));
        }
        Emit(def, PoolLifecycleEvent.Started);
        return RequireRecord(def.Name).ToInfo();
    }

    public void BuildPool(string name, PoolBuildFlags flags)
    {
        RejectConflictingBuildFlags(flags);
        using var poolLock = LockPool(name);
        var record = RequireRecord(name);
        if (record.Active) throw AlreadyActive(name);
        Build(BackendFor(record.Current.Type), record.Current, flags);
    }

    public void StartPool(string name, PoolBuildFlags flags)
    {
        RejectConflictingBuildFlags(flags);
        using var poolLock = LockPool(name);
        var record = RequireRecord(name);
        if (record.Active) throw AlreadyActive(name);
        var def = record.Config!;
        var backend = BackendFor(def.Type);
        if (flags != PoolBuildFlags.None) Build(backend, def, flags);
        var live = StartAndRefresh(backend, def);
        _status.Save(live);
        KeepManagedAdapter(def, live);
        MarkPendingDefinition(name, false);
        Emit(def, PoolLifecycleEvent.Started);
    }

    public void DestroyPool(string name)
    {
        using var poolLock = LockPool(name);
        var record = RequireActive(name);
        var backend = BackendFor(record.Live!.Type);
        if (backend is IPoolStopper stopper) stopper.Stop(record.Live);
        if (record.Persistent) RememberLastSizes(record.Live);
        _status.Delete(name);
        MarkPendingDefinition(name, false);
        Emit(record.Live, PoolLifecycleEvent.Stopped);
    }

    /// <summary>pool-delete; refused while a defined guest uses a volume of the pool unless <paramref name="force"/>.</summary>
    public void DeletePool(string name, bool force = false)
    {
        CheckNotUsedByGuests(name, null, force);
        using var poolLock = LockPool(name);
        var record = RequireRecord(name);
        if (record.Active) throw StillActive(name);
        var backend = BackendFor(record.Current.Type);
        BackendCapabilityTable.Require<IPoolDeleter>(backend).Delete(record.Current);
        _volumeFormats.Drop(record.Current); // the directory and its volumes are gone; undefine keeps them (a redefinition keeps the UUID)
        Emit(record.Current, PoolLifecycleEvent.Deleted);
    }

    /// <summary>pool-undefine; refused while a defined guest uses a volume of the pool unless <paramref name="force"/>.</summary>
    public void UndefinePool(string name, bool force = false)
    {
        CheckNotUsedByGuests(name, null, force);
        using var poolLock = LockPool(name);
        var record = RequireRecord(name);
        if (record.Active) throw StillActive(name);
        using (LockDriver()) _configs.Delete(name);
        KvmStor.State.AtomicFile.Delete(LastSizesPath(name));
        Emit(record.Current, PoolLifecycleEvent.Undefined);
    }

    public void SetAutostart(string name, bool autostart)
    {
        using var poolLock = LockPool(name);
        var record = RequireRecord(name);
        if (!record.Persistent) throw StorageException.Internal("pool has no config file");
        _configs.SetAutostart(name, autostart);
    }

    public void RefreshPool(string name)
    {
        using var poolLock = LockPool(name);
        var record = RequireActive(name);
        var backend = BackendFor(record.Live!.Type);
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
            _status.Delete(name);
            Emit(record.Live, PoolLifecycleEvent.Stopped);
            throw;
        }
        _status.Save(ApplyRefresh(record.Live, result));
        Emit(record.Live, null);
    }

    public PoolInfo GetPoolInfo(string name) => RequireRecord(name).ToInfo();

    /// <summary>pool-dumpxml: the live definition, or with <paramref name="inactive"/> the one the next start will use.</summary>
    public string GetPoolXml(string name, bool inactive)
    {
        var record = RequireRecord(name);
        bool pending = record.Active && record.Persistent && File.Exists(PendingMarkerPath(name));
        var shown = inactive && pending ? record.Config! : record.Current;
        if (!record.Active && LastSizes(name) is { } last)
            shown = shown with { Capacity = last.Capacity, Allocation = last.Allocation, Available = last.Available };
        return PoolXml.Format(shown);
    }

    /// <summary>find-storage-pool-sources: a &lt;sources&gt; document of what the type's backend finds.</summary>
    public string FindPoolSources(string type, string? sourceSpecXml)
    {
        if (!PoolTypeNames.TryParse(type, out var poolType))
            throw StorageException.Internal($"unknown storage pool type {type}");
        var backend = BackendFor(poolType);
        var finder = BackendCapabilityTable.Require<ISourceFinder>(backend);
        return SourcesXml.Format(poolType, finder.FindSources(sourceSpecXml));
    }

    /// <summary>pool-capabilities, from the backend registry.</summary>
    public string GetCapabilitiesXml() => PoolCapabilitiesXml.Format(Backends.IsSupported);

    /// <summary>Events emitted by any kvmstor process on this connection from now on; blocks until cancelled.</summary>
    public IEnumerable<PoolEvent> WatchEvents(CancellationToken cancel) => _events.Follow(cancel);

    private void Build(IPoolBackend backend, PoolDefinition def, PoolBuildFlags flags)
    {
        // A backend without a build step builds trivially, as in libvirt.
        if (backend is IPoolBuilder builder) builder.Build(def, flags);
        Emit(def, PoolLifecycleEvent.Created);
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

    private PoolRecord RequireActive(string name)
    {
        var record = RequireRecord(name);
        if (!record.Active) throw StorageException.Invalid($"storage pool '{name}' is not active");
        return record;
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
        using var driver = LockDriver();
        _configs.Save(config with { Source = config.Source with { Adapter = adapter with { Managed = true } } });
    }

    /// <summary>
    /// The sizes of a pool when it was last stopped, kept in the runtime directory: libvirt's pool-dumpxml of a stopped
    /// pool shows them until the daemon restarts, kvmstor's until the next boot.
    /// </summary>
    private string LastSizesPath(string name) => Path.Combine(Paths.StateDirectory, name + ".last-sizes");

    private void RememberLastSizes(PoolDefinition live)
    {
        try { KvmStor.State.AtomicFile.Write(LastSizesPath(live.Name), $"{live.Capacity} {live.Allocation} {live.Available}\n"); }
        catch (IOException) { } // only cosmetic: never fail a stop for it
    }

    private (ulong Capacity, ulong Allocation, ulong Available)? LastSizes(string name)
    {
        string[] parts;
        try { parts = File.ReadAllText(LastSizesPath(name)).Split(' ', StringSplitOptions.TrimEntries); }
        catch (IOException) { return null; }
        return parts.Length == 3 && ulong.TryParse(parts[0], out ulong c) && ulong.TryParse(parts[1], out ulong a) && ulong.TryParse(parts[2], out ulong v)
            ? (c, a, v) : null;
    }

    /// <summary>A definition given while the pool runs waits for the next start; the marker tells dumpxml --inactive to show it.</summary>
    private string PendingMarkerPath(string name) => Path.Combine(Paths.StateDirectory, name + ".pending");

    private void MarkPendingDefinition(string name, bool pending)
    {
        string path = PendingMarkerPath(name);
        // Durable like the definitions themselves: a crash must not forget that the next start changes the pool.
        if (pending) KvmStor.State.AtomicFile.Write(path, "");
        else File.Delete(path);
    }
}
