using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using KvmStor.Model;

namespace KvmStor.Backends.Rbd;

/// <summary>
/// The librados connections of one backend (so of one engine host: a command's, or `kvmstor serve`'s for its whole
/// life), one per pool source, reused by every call on the pool instead of a connect per call. Keyed by what makes a
/// connection: monitors, Ceph pool, cephx user, secret reference and config options; the secret's value is checked on
/// every call (by a keyed hash, never kept in clear), so a value changed by any kvmstor process takes effect at the
/// next call here. See <see cref="KeptConnections{T}"/> for when a connection is dropped.
/// </summary>
internal sealed class RadosConnections(IPoolSecrets secrets)
{
    /// <summary>
    /// An unused connection is closed after this long: a pool another process stopped is closed sooner only where the
    /// front-end follows the event log (`kvmstor serve`).
    /// </summary>
    public static readonly TimeSpan IdleLimit = TimeSpan.FromMinutes(5);

    private readonly KeptConnections<RadosConnection> _kept = new(IdleLimit);
    /// <summary>The pool definition each key was last used for: what a secret change re-reads.</summary>
    private readonly ConcurrentDictionary<string, PoolDefinition> _pools = new(StringComparer.Ordinal);
    /// <summary>
    /// Per-process key of the value fingerprints: a fingerprint says nothing about the value outside this process.
    /// Made at the first rbd connection, not with the backend: every command builds the backends, and the random
    /// bytes load OpenSSL (libcrypto and openssl.cnf, about 2 ms of a CLI command's CPU).
    /// </summary>
    private readonly Lazy<byte[]> _fingerprintKey = new(() => RandomNumberGenerator.GetBytes(32));

    /// <summary>The connection for <paramref name="pool"/>, made now unless a healthy one with the current key is kept.</summary>
    public KeptConnections<RadosConnection>.Lease For(PoolDefinition pool)
    {
        string poolName = pool.Source.Name ?? throw StorageException.Xml("element 'name' is mandatory for RBD pool");
        string monitors = RbdMonitorHosts.Format(pool.Source.Hosts);
        RbdLibrary.Require();
        string key = KeyOf(pool, monitors);
        byte[]? secret = pool.Source.Auth is { } auth ? secrets.ValueFor(pool, auth) : null;
        try
        {
            _pools[key] = pool;
            return _kept.Acquire(key, Fingerprint(secret), () => RadosConnection.Connect(pool, secret, poolName, monitors));
        }
        finally
        {
            if (secret is not null) CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>Closes the pool's connection (once no call uses it).</summary>
    public void Forget(PoolDefinition pool)
    {
        if (pool.Source.Name is null) return;
        string key = KeyOf(pool, RbdMonitorHosts.Format(pool.Source.Hosts));
        _kept.Retire(key);
        _pools.TryRemove(key, out _);
    }

    /// <summary>Closes the connections last used for the pool with this UUID (once no call uses them).</summary>
    public void Forget(Guid poolUuid)
    {
        foreach (var (key, pool) in _pools.ToList())
            if (pool.Uuid == poolUuid)
            {
                _kept.Retire(key);
                _pools.TryRemove(key, out _);
            }
    }

    /// <summary>Closes every connection whose secret value is no longer the one it was made with (or is gone).</summary>
    public void SecretsChanged()
    {
        var live = _kept.Keys.ToHashSet(StringComparer.Ordinal);
        foreach (var (key, pool) in _pools.ToList())
        {
            if (!live.Contains(key)) { _pools.TryRemove(key, out _); continue; }
            if (pool.Source.Auth is not { } auth) continue;
            byte[]? secret = null;
            try
            {
                secret = secrets.ValueFor(pool, auth);
                _kept.Retire(key, unlessFingerprint: Fingerprint(secret));
            }
            catch (Exception e) when (e is StorageException or IOException or UnauthorizedAccessException)
            {
                // The secret or its value is gone or unreadable: the next call fails as it would without a kept
                // connection. Not an error of the secret change that told us.
                _kept.Retire(key);
            }
            finally
            {
                if (secret is not null) CryptographicOperations.ZeroMemory(secret);
            }
        }
    }

    /// <summary>The keys of the connections kept now (for tests).</summary>
    internal IReadOnlyList<string> Keys => _kept.Keys;

    private byte[] Fingerprint(byte[]? secret) => secret is null ? [] : HMACSHA256.HashData(_fingerprintKey.Value, secret);

    /// <summary>What makes two pools share a connection: monitors, user, secret reference, options and the Ceph pool.</summary>
    internal static string KeyOf(PoolDefinition pool, string monitors)
    {
        var text = new StringBuilder().Append(monitors).Append('\n').Append(pool.Source.Name).Append('\n');
        if (pool.Source.Auth is { } auth)
            text.Append(auth.Username).Append('\n').Append(auth.SecretUuid).Append('\n').Append(auth.SecretUsage).Append('\n');
        foreach (var option in pool.RbdConfigOptions) text.Append(option.Name).Append('=').Append(option.Value).Append('\n');
        return text.ToString();
    }
}
