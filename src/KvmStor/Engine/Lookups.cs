using KvmStor.Backends;
using KvmStor.Guests;
using KvmStor.Model;

namespace KvmStor.Engine;

/// <summary>
/// Finding pools, volumes and guests, for every front-end. Two layers: libvirt's lookups (one rule each, with the
/// error the daemon reports: virStoragePoolLookupByName, virStorageVolLookupByKey, …), and virsh's rules for a
/// command's argument (a pool word tried as UUID then name; a volume word tried as a name in the pool, then as a key,
/// then as a path), which fail with a <see cref="LookupFailedException"/> carrying virsh's line and the last reason.
/// </summary>
public sealed class Lookups
{
    private const int UuidStringLength = 36;
    private readonly PoolRecords _records;
    private readonly EngineLocks _locks;
    private readonly Func<GuestService> _guests;

    /// <param name="guests">the guest service, reached when first needed: it is built after the lookups, which it uses to find a disk's volume</param>
    internal Lookups(PoolRecords records, EngineLocks locks, Func<GuestService> guests)
    {
        _records = records;
        _locks = locks;
        _guests = guests;
    }

    // ---- libvirt's lookups ----

    public PoolInfo PoolByName(string name) => _records.Require(name).ToInfo();

    public PoolInfo PoolByUuid(string uuid) =>
        FindPoolRecordByUuid(uuid)?.ToInfo()
        ?? throw new StorageException(ErrorCode.NoStoragePool, $"no storage pool with matching uuid '{uuid}'");

    /// <summary>
    /// virStoragePoolLookupByUUID for a handle that also carries the pool's name (libvirt's RPC handles do): the named
    /// pool is read first, one record instead of all of them; only when it is gone or has another uuid are all pools
    /// searched. Same answer as <see cref="PoolByUuid(string)"/>, in constant time for a pool that still has its name.
    /// </summary>
    public PoolInfo PoolByUuid(string uuid, string? name)
    {
        if (!string.IsNullOrEmpty(name) && Guid.TryParse(uuid, out var wanted) && _records.Load(name) is { } record
            && record.Current.Uuid == wanted)
            return record.ToInfo();
        return PoolByUuid(uuid);
    }

    /// <summary>virsh's pool lookup: a 36-character word is tried as a UUID first, then as a name.</summary>
    public PoolInfo PoolByNameOrUuid(string nameOrUuid)
    {
        if (nameOrUuid.Length == UuidStringLength && FindPoolRecordByUuid(nameOrUuid) is { } byUuid) return byUuid.ToInfo();
        return PoolByName(nameOrUuid);
    }

    /// <summary>virStoragePoolLookupByVolume: the pool a volume was found in.</summary>
    public PoolInfo PoolOfVolume(VolumeHandle volume) => PoolByName(volume.PoolName);

    /// <summary>virStoragePoolLookupByTargetPath: the running pool whose target is <paramref name="path"/> (slashes tidied, as libvirt does).</summary>
    public PoolInfo PoolByTargetPath(string path)
    {
        string wanted = TidyPath(path);
        return _records.LoadAll()
                   .Where(r => r.Active && r.Live!.TargetPath is { } target && TidyPath(target) == wanted)
                   .OrderBy(r => r.Name, StringComparer.Ordinal)
                   .FirstOrDefault()?.ToInfo()
               ?? throw new StorageException(ErrorCode.NoStoragePool, $"no storage pool with matching target path '{path}'");
    }

    public VolumeHandle VolumeByName(string poolName, string name)
    {
        using var shared = _locks.PoolShared(poolName);
        var (pool, backend) = _records.ActivePool(poolName);
        var volume = backend.FindVolume(pool, name)
            ?? throw new StorageException(ErrorCode.NoStorageVolume, $"no storage vol with matching name '{name}'");
        return new VolumeHandle(pool.Name, pool.Uuid, pool.Type, volume);
    }

    /// <summary>virStorageVolLookupByKey: keys only (a path that is not also the volume's key does not match).</summary>
    public VolumeHandle VolumeByKey(string key) =>
        FindAcrossPools(key, found => found.Key == key)
        ?? throw new StorageException(ErrorCode.NoStorageVolume, $"no storage vol with matching key {key}");

    public VolumeHandle VolumeByPath(string path)
    {
        // libvirt compares canonical paths, so /dev/../dev/x and symlinked directories still match.
        string canonical = CanonicalPath(path);
        return FindAcrossPools(path) ?? (canonical != path ? FindAcrossPools(canonical) : null)
            ?? throw new StorageException(ErrorCode.NoStorageVolume, $"no storage vol with matching path '{path}'");
    }

    /// <summary>
    /// virsh's "then by key, then by path" in one pass over the pools (every backend matches keys and paths together):
    /// a miss costs one scan instead of two. The error is the path lookup's, as virsh shows the last one.
    /// </summary>
    public VolumeHandle VolumeByKeyOrPath(string keyOrPath) => VolumeByPath(keyOrPath);

    /// <summary>A defined guest by name, then by UUID; libvirt's "Domain not found" when neither matches.</summary>
    public GuestInfo Guest(string nameOrUuid) => _guests().Find(nameOrUuid);

    // ---- virsh's argument rules ----

    /// <summary>A command's pool word: "failed to get pool 'x'", then the engine's reason.</summary>
    public PoolInfo PoolArgument(string word, PoolLookupBy by = PoolLookupBy.NameOrUuid)
    {
        CheckPoolArgumentShape(word, by);
        try
        {
            return by switch
            {
                PoolLookupBy.Name => PoolByName(word),
                PoolLookupBy.Uuid => PoolByUuid(word),
                _ => PoolByNameOrUuid(word),
            };
        }
        catch (StorageException e)
        {
            throw new LookupFailedException($"failed to get pool '{word}'", e);
        }
    }

    /// <summary>
    /// By UUID only, virsh does not even ask when the word cannot be a UUID, so no reason follows. Static so that a
    /// front-end can refuse such a word before it opens the connection.
    /// </summary>
    public static void CheckPoolArgumentShape(string word, PoolLookupBy by)
    {
        if (by == PoolLookupBy.Uuid && word.Length != UuidStringLength)
            throw new LookupFailedException($"failed to get pool '{word}'");
    }

    /// <summary>
    /// A command's volume word: with a pool word, the pool must exist and run, and the word is tried as a volume name
    /// in it; then (always) as a key and as a path across all pools. The error names the word, hints at the pool option
    /// (<paramref name="poolOption"/>; null: the command has none) when it was not given, and is followed by the last reason.
    /// </summary>
    public VolumeHandle VolumeArgument(string word, string? poolWord, string? poolOption = "pool")
    {
        PoolInfo? pool = null;
        if (poolWord is not null)
        {
            pool = PoolArgument(poolWord);
            if (!pool.Active) throw new LookupFailedException($"pool '{poolWord}' is not active");
        }

        StorageException? last = null;
        VolumeHandle? found = null;
        if (pool is not null) found = Try(() => VolumeByName(pool.Name, word), ref last);
        found ??= Try(() => VolumeByKeyOrPath(word), ref last);

        if (found is null)
        {
            string line = pool is not null || poolOption is null
                ? $"failed to get vol '{word}'"
                : $"failed to get vol '{word}', specifying --{poolOption} might help";
            throw new LookupFailedException(line, last);
        }
        if (pool is not null && found.PoolName != pool.Name)
            throw new LookupFailedException($"Requested volume '{word}' is not in pool '{pool.Name}'");
        return found;
    }

    /// <summary>vol-create-as --backing-vol: name in the target pool, then key, then path.</summary>
    public VolumeHandle BackingVolumeArgument(string poolName, string word)
    {
        StorageException? last = null;
        var found = Try(() => VolumeByName(poolName, word), ref last) ?? Try(() => VolumeByKeyOrPath(word), ref last);
        return found ?? throw new LookupFailedException($"failed to get vol '{word}'", last);
    }

    /// <summary>A command's domain word; virsh reports only "failed to get domain 'x'" when it does not exist.</summary>
    public GuestInfo GuestArgument(string word)
    {
        try
        {
            return Guest(word);
        }
        catch (StorageException)
        {
            throw new LookupFailedException($"failed to get domain '{word}'");
        }
    }

    private static VolumeHandle? Try(Func<VolumeHandle> lookup, ref StorageException? last)
    {
        try
        {
            return lookup();
        }
        // A server that did not answer is not a volume that does not exist: say so instead of trying the next lookup.
        catch (StorageException e) when (e.Code != ErrorCode.OperationTimeout)
        {
            last = e;
            return null;
        }
    }

    private PoolRecord? FindPoolRecordByUuid(string text) =>
        Guid.TryParse(text, out var uuid) ? _records.LoadAll().FirstOrDefault(r => r.Current.Uuid == uuid) : null;

    /// <summary>The first running pool (in name order) with a volume whose key or path is <paramref name="keyOrPath"/> and that <paramref name="accept"/>s it.</summary>
    private VolumeHandle? FindAcrossPools(string keyOrPath, Func<VolumeDefinition, bool>? accept = null)
    {
        foreach (var record in _records.LoadAll().Where(r => r.Active).OrderBy(r => r.Name, StringComparer.Ordinal))
        {
            if (_records.Backends.Find(record.Live!.Type) is not IVolumeBackend backend) continue;
            VolumeDefinition? found;
            try { found = backend.FindVolumeByKeyOrPath(record.Live, keyOrPath); }
            catch (StorageException) { continue; }
            // Backends match keys and paths together; a key lookup keeps only what matched as a key.
            if (found is not null && (accept is null || accept(found)))
                return new VolumeHandle(record.Name, record.Live.Uuid, record.Live.Type, found);
        }
        return null;
    }

    private static string CanonicalPath(string path)
    {
        try
        {
            var info = new FileInfo(path);
            return info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return path;
        }
    }

    /// <summary>libvirt's virFileSanitizePath: repeated slashes become one and a trailing slash goes.</summary>
    private static string TidyPath(string path)
    {
        var tidy = new System.Text.StringBuilder(path.Length);
        foreach (char c in path)
            if (c != '/' || tidy.Length == 0 || tidy[^1] != '/') tidy.Append(c);
        if (tidy.Length > 1 && tidy[^1] == '/') tidy.Length--;
        return tidy.ToString();
    }
}
