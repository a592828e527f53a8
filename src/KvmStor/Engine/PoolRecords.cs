using KvmStor.Backends;
using KvmStor.Model;
using KvmStor.State;

namespace KvmStor.Engine;

/// <summary>
/// What the engine keeps about pools, for all services: persistent definitions and autostart links (config store),
/// running pools (status store), the event log, recorded volume formats, the marker files beside the status
/// (.last-sizes, .pending), and the backend of each type.
/// </summary>
internal sealed class PoolRecords
{
    public PoolRecords(StatePaths paths, BackendRegistry backends)
    {
        Paths = paths;
        Backends = backends;
        Configs = new ConfigStore(paths);
        Status = new StatusStore(paths);
        Events = new EventLog(paths);
        VolumeFormats = new VolumeFormatStore(paths.VolumeFormatsDirectory);
    }

    public StatePaths Paths { get; }
    public BackendRegistry Backends { get; }
    public ConfigStore Configs { get; }
    public StatusStore Status { get; }
    public EventLog Events { get; }
    public VolumeFormatStore VolumeFormats { get; }

    public PoolRecord? Load(string name)
    {
        if (name.Length == 0 || name.Contains('/')) return null;
        var config = Configs.Load(name);
        var live = Status.Load(name);
        if (config is null && live is null) return null;
        return new PoolRecord(name, config, live, config is not null && Configs.IsAutostart(name));
    }

    public IEnumerable<PoolRecord> LoadAll()
    {
        var names = new HashSet<string>(Configs.Names(), StringComparer.Ordinal);
        names.UnionWith(Status.Names());
        foreach (var name in names)
            if (Load(name) is { } record)
                yield return record;
    }

    public PoolRecord Require(string name) =>
        Load(name) ?? throw new StorageException(ErrorCode.NoStoragePool, $"no storage pool with matching name '{name}'");

    public PoolRecord RequireActive(string name)
    {
        var record = Require(name);
        if (!record.Active) throw StorageException.Invalid($"storage pool '{name}' is not active");
        return record;
    }

    /// <summary>A running pool whose type has volumes, with its backend.</summary>
    public (PoolDefinition Pool, IVolumeBackend Backend) ActivePool(string poolName)
    {
        var record = RequireActive(poolName);
        var backend = BackendFor(record.Live!.Type);
        return (record.Live, backend as IVolumeBackend
            ?? throw StorageException.NoSupport($"storage pool type '{record.Live.Type.ToXmlName()}' has no volumes"));
    }

    public IPoolBackend BackendFor(PoolType type) =>
        Backends.Find(type) ?? throw StorageException.Internal($"missing backend for pool type {(int)type} ({type.ToXmlName()})");

    public void Emit(PoolDefinition pool, PoolLifecycleEvent? lifecycle) =>
        Events.Append(new PoolEvent(pool.Name, pool.Uuid, lifecycle, DateTimeOffset.UtcNow));

    // ---- marker files beside the status ----

    /// <summary>
    /// The sizes of a pool when it was last stopped, kept in the runtime directory: libvirt's pool-dumpxml of a stopped
    /// pool shows them until the daemon restarts, kvmstor's until the next boot.
    /// </summary>
    private string LastSizesPath(string name) => Path.Combine(Paths.StateDirectory, name + ".last-sizes");

    public void RememberLastSizes(PoolDefinition live)
    {
        try { AtomicFile.Write(LastSizesPath(live.Name), $"{live.Capacity} {live.Allocation} {live.Available}\n"); }
        catch (IOException) { } // only cosmetic: never fail a stop for it
    }

    public (ulong Capacity, ulong Allocation, ulong Available)? LastSizes(string name)
    {
        string[] parts;
        try { parts = File.ReadAllText(LastSizesPath(name)).Split(' ', StringSplitOptions.TrimEntries); }
        catch (IOException) { return null; }
        return parts.Length == 3 && ulong.TryParse(parts[0], out ulong c) && ulong.TryParse(parts[1], out ulong a) && ulong.TryParse(parts[2], out ulong v)
            ? (c, a, v) : null;
    }

    public void ForgetLastSizes(string name) => AtomicFile.Delete(LastSizesPath(name));

    /// <summary>A definition given while the pool runs waits for the next start; the marker tells dumpxml --inactive to show it.</summary>
    private string PendingMarkerPath(string name) => Path.Combine(Paths.StateDirectory, name + ".pending");

    public bool HasPendingDefinition(string name) => File.Exists(PendingMarkerPath(name));

    public void MarkPendingDefinition(string name, bool pending)
    {
        string path = PendingMarkerPath(name);
        // Durable like the definitions themselves: a crash must not forget that the next start changes the pool.
        if (pending) AtomicFile.Write(path, "");
        else File.Delete(path);
    }
}
