using KvmStor.Model;

namespace KvmStor.Backends.Rbd;

/// <summary>
/// A Ceph pool's RBD images as volumes, through librados/librbd (loaded on first use). Like libvirt, an rbd pool
/// has nothing to build, start or stop: starting it is a refresh, which connects to the monitors of its &lt;host&gt;
/// entries with the cephx key of its &lt;auth&gt; secret. Volumes are type network, key and path "pool/image".
/// The connection is kept between calls (<see cref="RadosConnections"/>): a long-lived front-end connects once per pool.
/// </summary>
public sealed partial class RbdPoolBackend : IPoolBackend, IPoolChecker, IPoolConnectionKeeper,
    IVolumeBackend, IVolumeCreator, IVolumeCloner, IVolumeDeleter, IVolumeResizer, IVolumeUploader, IVolumeDownloader, IVolumeWiper
{
    private readonly RadosConnections _connections;

    public RbdPoolBackend(IPoolSecrets secrets) => _connections = new RadosConnections(secrets);

    public PoolType Type => PoolType.Rbd;

    /// <summary>libvirt has no check for rbd: a pool is running when its cluster answers.</summary>
    public bool CheckActive(PoolDefinition pool)
    {
        try
        {
            using var _ = Connect(pool);
            return true;
        }
        catch (StorageException)
        {
            return false;
        }
    }

    /// <summary>Cluster size and free space (rados_cluster_stat), the Ceph pool's bytes as allocation, and every image.</summary>
    public PoolRefreshResult Refresh(PoolDefinition pool)
    {
        ulong capacity, available, used;
        using (var lease = Connect(pool)) (capacity, available, used) = lease.Connection.Statistics();
        return new PoolRefreshResult
        {
            Capacity = capacity,
            Available = available,
            Allocation = used,
            Volumes = ListVolumes(pool),
        };
    }

    public void ForgetConnection(PoolDefinition pool)
    {
        if (pool.Type == PoolType.Rbd) _connections.Forget(pool);
    }

    public void ForgetConnections(Guid poolUuid) => _connections.Forget(poolUuid);

    public void SecretsChanged() => _connections.SecretsChanged();

    /// <summary>The pool's kept connection for one call (made now if needed); dispose the lease when done.</summary>
    internal KeptConnections<RadosConnection>.Lease Connect(PoolDefinition pool) => _connections.For(pool);

    /// <summary>The keys of the connections kept now (for tests).</summary>
    internal IReadOnlyList<string> KeptConnectionKeys => _connections.Keys;
}
