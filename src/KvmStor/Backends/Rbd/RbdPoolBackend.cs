using KvmStor.Model;

namespace KvmStor.Backends.Rbd;

/// <summary>
/// A Ceph pool's RBD images as volumes, through librados/librbd (loaded on first use). Like libvirt, an rbd pool
/// has nothing to build, start or stop: starting it is a refresh, which connects to the monitors of its &lt;host&gt;
/// entries with the cephx key of its &lt;auth&gt; secret. Volumes are type network, key and path "pool/image".
/// </summary>
public sealed partial class RbdPoolBackend : IPoolBackend, IPoolChecker,
    IVolumeBackend, IVolumeCreator, IVolumeCloner, IVolumeDeleter, IVolumeResizer, IVolumeUploader, IVolumeDownloader, IVolumeWiper
{
    private readonly IPoolSecrets _secrets;

    public RbdPoolBackend(IPoolSecrets secrets) => _secrets = secrets;

    public PoolType Type => PoolType.Rbd;

    /// <summary>libvirt has no check for rbd: a pool is running when its cluster answers.</summary>
    public bool CheckActive(PoolDefinition pool)
    {
        try
        {
            Connect(pool);
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
        var connection = Connect(pool);
        var (capacity, available, used) = connection.Statistics();
        return new PoolRefreshResult
        {
            Capacity = capacity,
            Available = available,
            Allocation = used,
            Volumes = ListVolumes(pool),
        };
    }

    private RadosConnection Connect(PoolDefinition pool) => RadosConnection.For(pool, _secrets);
}
