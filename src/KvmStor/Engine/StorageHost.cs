using KvmStor.Backends;
using KvmStor.Model;
using KvmStor.State;

namespace KvmStor.Engine;

/// <summary>
/// The storage driver: every pool and volume operation the CLI offers, with libvirt's rules and messages.
/// Each kvmstor process opens one; state lives on disk (config + status stores) and is shared between
/// processes under file locks, so there is no daemon.
/// </summary>
/// <remarks>
/// Locking: a pool's own lock (its name's byte in &lt;state&gt;/pools.lock, see <see cref="NameLock"/>) is held for the
/// whole of any operation on it; the driver lock (&lt;state&gt;/driver.lock) is held briefly, always after a pool lock,
/// while the set of definitions is checked and changed (uniqueness of names, uuids and sources). Volume locks live in
/// &lt;state&gt;/volumes.lock the same way. No lock file names a pool or a volume.
/// </remarks>
public sealed partial class StorageHost : IDisposable
{
    private readonly ConfigStore _configs;
    private readonly StatusStore _status;
    private readonly EventLog _events;
    private readonly VolumeFormatStore _volumeFormats;

    public StatePaths Paths { get; }
    public BackendRegistry Backends { get; }

    /// <summary>Secret definitions and values (one store per connection); backends read values through it.</summary>
    public SecretService Secrets { get; }

    /// <summary>virsh's and libvirt's rules for finding pools, volumes and guests.</summary>
    public Lookups Lookup { get; }

    public StorageHost(StatePaths paths, BackendRegistry backends)
    {
        Paths = paths;
        Backends = backends;
        Secrets = new SecretService(new SecretStore(paths), () => FileLock.Exclusive(RuntimeFile("secrets.lock")));
        backends.Secrets.Target = Secrets;
        _configs = new ConfigStore(paths);
        _status = new StatusStore(paths);
        _events = new EventLog(paths);
        _volumeFormats = new VolumeFormatStore(paths.VolumeFormatsDirectory);
        backends.VolumeFormats.Target = _volumeFormats;
        Lookup = new Lookups(this);
    }

    /// <summary>Opens the driver for a connection URI (null: KVMSTOR_DEFAULT_URI, then system for root, session otherwise).</summary>
    /// <param name="ending">Fires when the front-end's process is ending: every external program still running is killed with its process group.</param>
    public static StorageHost Open(string? uri = null, CancellationToken ending = default) =>
        new(StatePaths.ForUri(uri), BackendRegistry.CreateDefault(new Host.ProcessCommandRunner(ending)));

    /// <summary>
    /// Nothing the host owns holds an operating-system resource between calls: every lock is taken and released by
    /// the operation that needs it, and the stores open their files per call. The registry (and its bridges to this
    /// host's secrets and recorded formats) is the caller's, possibly shared by several hosts, so it is left alone.
    /// </summary>
    public void Dispose() { }

    /// <summary>A file of the runtime directory, which is created (or tightened to) 0700 first.</summary>
    private string RuntimeFile(string name) => Path.Combine(RuntimeDirectory.Ensure(Paths.StateDirectory), name);

    /// <summary>The file whose bytes stand for pool names (any name, defined or not, without a file of its own).</summary>
    private string PoolLockFile => RuntimeFile("pools.lock");

    private NameLock LockPool(string name) => NameLock.Exclusive(PoolLockFile, name);

    private FileLock LockDriver() => FileLock.Exclusive(RuntimeFile("driver.lock"));

    private PoolRecord? LoadRecord(string name)
    {
        if (name.Length == 0 || name.Contains('/')) return null;
        var config = _configs.Load(name);
        var live = _status.Load(name);
        if (config is null && live is null) return null;
        return new PoolRecord(name, config, live, config is not null && _configs.IsAutostart(name));
    }

    internal IEnumerable<PoolRecord> LoadAllRecords()
    {
        var names = new HashSet<string>(_configs.Names(), StringComparer.Ordinal);
        names.UnionWith(_status.Names());
        foreach (var name in names)
            if (LoadRecord(name) is { } record)
                yield return record;
    }

    internal PoolRecord RequireRecord(string name) =>
        LoadRecord(name) ?? throw new StorageException(ErrorCode.NoStoragePool, $"no storage pool with matching name '{name}'");

    private IPoolBackend BackendFor(PoolType type) =>
        Backends.Find(type) ?? throw StorageException.Internal($"missing backend for pool type {(int)type} ({type.ToXmlName()})");

    private void Emit(PoolDefinition pool, PoolLifecycleEvent? lifecycle) =>
        _events.Append(new PoolEvent(pool.Name, pool.Uuid, lifecycle, DateTimeOffset.UtcNow));
}
