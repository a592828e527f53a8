namespace KvmStor.Model;

/// <summary>
/// When two pools of one type manage the same storage (libvirt's "Storage source conflict with pool", spec §6).
/// Pools of different types conflict only when both are <see cref="SharedDevice"/> types sharing a device.
/// </summary>
public enum SourceConflictRule
{
    /// <summary>The same target path (dir).</summary>
    SameTargetPath,
    /// <summary>The same host and source directory (netfs).</summary>
    SameHostAndDir,
    /// <summary>A device in common, or one pool's device a partition of the other's (fs, logical, disk, zfs).</summary>
    SharedDevice,
    /// <summary>The same host, a target in common and the same initiator IQN (iscsi, iscsi-direct).</summary>
    SameHostDeviceAndInitiator,
    /// <summary>The same SCSI adapter (scsi).</summary>
    SameAdapter,
    /// <summary>Any second pool of the type (mpath: there is one set of multipath maps per host).</summary>
    AnyOther,
    /// <summary>The same host and source name (rbd, sheepdog).</summary>
    SameHostAndName,
    /// <summary>The same host, source name and directory (gluster).</summary>
    SameHostNameAndDir,
    /// <summary>The same source name (vstorage: the cluster).</summary>
    SameName,
}
