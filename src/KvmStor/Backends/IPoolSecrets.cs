using KvmStor.Model;

namespace KvmStor.Backends;

/// <summary>The secret values behind a pool's &lt;auth&gt; (CHAP password, cephx key), as raw bytes.</summary>
public interface IPoolSecrets
{
    /// <summary>The value <paramref name="auth"/> names; throws libvirt's "Secret not found" when there is none.</summary>
    byte[] ValueFor(PoolDefinition pool, PoolAuth auth);
}

/// <summary>
/// Lets backends be built before the driver that owns the secret store exists: the registry hands this to the
/// backends, and <see cref="Engine.StorageHost"/> sets <see cref="Target"/> to itself when it opens.
/// </summary>
public sealed class PoolSecretsBridge : IPoolSecrets
{
    public IPoolSecrets? Target { get; set; }

    public byte[] ValueFor(PoolDefinition pool, PoolAuth auth) =>
        (Target ?? throw StorageException.Internal("no secret store is open for this pool's <auth>")).ValueFor(pool, auth);
}
