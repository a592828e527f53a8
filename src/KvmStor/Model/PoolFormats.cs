namespace KvmStor.Model;

/// <summary>
/// The format name lists of libvirt's storage enums, in libvirt's numeric order (the order is visible in
/// pool-capabilities and in which names share a number).
/// </summary>
public static class PoolFormats
{
    /// <summary>fs pool source formats (virStoragePoolFormatFileSystem).</summary>
    public static IReadOnlyList<string> FileSystem { get; } =
        ["auto", "ext2", "ext3", "ext4", "ufs", "iso9660", "udf", "gfs", "gfs2", "vfat", "hfs+", "xfs", "ocfs2", "vmfs"];

    /// <summary>netfs pool source formats.</summary>
    public static IReadOnlyList<string> NetFileSystem { get; } = ["auto", "nfs", "glusterfs", "cifs"];

    /// <summary>disk pool source formats (partition table labels).</summary>
    public static IReadOnlyList<string> DiskLabel { get; } = ["unknown", "dos", "dvh", "gpt", "mac", "bsd", "pc98", "sun", "lvm2"];

    /// <summary>logical pool source formats.</summary>
    public static IReadOnlyList<string> Logical { get; } = ["unknown", "lvm2"];
}
