namespace KvmStor.Model;

/// <summary>The type every volume of a pool type gets when created (its backend decides; XML may not say).</summary>
public static class VolumeTypeDefaults
{
    /// <summary>
    /// Block devices for LVM, partitions, LUNs and zvols; network volumes for network pools; files otherwise.
    /// (Directories inside file pools are "dir" and ploop images "ploop"; the backend sets those itself.)
    /// </summary>
    public static VolumeType For(PoolType poolType) => poolType switch
    {
        PoolType.Logical or PoolType.Disk or PoolType.Iscsi or PoolType.Scsi or PoolType.Mpath or PoolType.Zfs
            => VolumeType.Block,
        PoolType.Rbd or PoolType.Sheepdog or PoolType.IscsiDirect or PoolType.Gluster => VolumeType.Network,
        _ => VolumeType.File,
    };
}
