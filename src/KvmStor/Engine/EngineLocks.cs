using KvmStor.State;

namespace KvmStor.Engine;

/// <summary>
/// Every lock the engine takes, in the runtime directory of one connection, for all services: each process takes and
/// releases them per operation, so there is no daemon.
/// </summary>
/// <remarks>
/// Locking: a pool's own lock (its name's byte in &lt;state&gt;/pools.lock, see <see cref="NameLock"/>) is held for the
/// whole of any operation on it; the driver lock (&lt;state&gt;/driver.lock) is held briefly, always after a pool lock,
/// while the set of definitions is checked and changed (uniqueness of names, uuids and sources). Volume locks live in
/// &lt;state&gt;/volumes.lock the same way. No lock file names a pool or a volume.
/// </remarks>
internal sealed class EngineLocks(StatePaths paths)
{
    /// <summary>A file of the runtime directory, which is created (or tightened to) 0700 first.</summary>
    public string RuntimeFile(string name) => Path.Combine(RuntimeDirectory.Ensure(paths.StateDirectory), name);

    /// <summary>The file whose bytes stand for pool names (any name, defined or not, without a file of its own).</summary>
    private string PoolLockFile => RuntimeFile("pools.lock");

    /// <summary>A pool's state changes (define, start, stop, delete…) take it alone.</summary>
    public NameLock Pool(string name) => NameLock.Exclusive(PoolLockFile, name);

    /// <summary>Volume operations share their pool (several may run at once); pool state changes take it alone.</summary>
    public NameLock PoolShared(string name) => NameLock.Shared(PoolLockFile, name);

    public FileLock Driver() => FileLock.Exclusive(RuntimeFile("driver.lock"));

    /// <summary>Held while the set of secrets changes.</summary>
    public FileLock Secrets() => FileLock.Exclusive(RuntimeFile("secrets.lock"));

    /// <summary>Autostart once per boot; taken before any pool lock and never while holding one.</summary>
    public FileLock Autostart() => FileLock.Exclusive(RuntimeFile("autostart.lock"));

    /// <summary>One lock per guest directory, kept with kvmstor's state so nothing extra appears beside libvirt's files.</summary>
    public string GuestDirectoryLockFile(string fullDirectory) =>
        RuntimeFile("guests-" + Uri.EscapeDataString(fullDirectory) + ".lock");

    /// <summary>A volume's own lock: exclusive to change it, shared to read it (download, clone source).</summary>
    public NameLock Volume(string pool, string volume, bool exclusive = true) =>
        Volumes(new VolumeLockRequest(pool, volume, exclusive));

    /// <summary>
    /// Several volume locks taken as one (see <see cref="NameLock"/>): the same volume named twice is locked once,
    /// in the stronger mode, so an operation never waits on itself.
    /// </summary>
    public NameLock Volumes(params VolumeLockRequest[] volumes) =>
        NameLock.Acquire(RuntimeFile("volumes.lock"),
            volumes.Select(v => new NameLockRequest(VolumeLockName(v.Pool, v.Volume), v.Exclusive)));

    /// <summary>Pool names cannot hold NUL (XML cannot carry it), so the pair is unambiguous.</summary>
    private static string VolumeLockName(string pool, string volume) => pool + "\0" + volume;
}

internal readonly record struct VolumeLockRequest(string Pool, string Volume, bool Exclusive);
