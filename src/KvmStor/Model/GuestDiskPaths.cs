namespace KvmStor.Model;

/// <summary>
/// Whether a guest's file or block disk can be recognised as a volume of a pool by its path alone (the guest-use
/// protection of vol-delete, vol-wipe… matches such disks by directory and name).
/// </summary>
public enum GuestDiskPaths
{
    /// <summary>Volume paths say nothing about the pool (partitions, LUNs, network volumes): only &lt;disk type='volume'&gt; counts.</summary>
    None,
    /// <summary>Volumes are &lt;target path&gt;/&lt;name&gt; (dir, fs, netfs, logical, vstorage).</summary>
    TargetDirectory,
    /// <summary>Volumes are /dev/zvol/&lt;source name&gt;/&lt;name&gt;, whatever the pool's (unused) target says (zfs).</summary>
    ZvolDirectory,
}
