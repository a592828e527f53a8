namespace KvmStor.Backends.Disk;

/// <summary>
/// Disk-pool volume formats (libvirt's partition types) against parted's fs types and the partition type codes
/// blkid reports (dos type byte, gpt type GUID).
/// </summary>
public static class DiskPartitionTypes
{
    public const string Extended = "extended";

    /// <summary>libvirt's virStoragePartedFs mapping (spec §2.1).</summary>
    public static string PartedFileSystem(string format) => format switch
    {
        "fat16" => "fat16",
        "fat32" => "fat32",
        "linux-swap" => "linux-swap",
        "extended" => "extended",
        _ => "ext2", // none, linux, linux-lvm, linux-raid
    };

    /// <summary>The parted flag that gives a partition its type where the fs type cannot (libvirt sets none, so its
    /// linux-lvm and linux-raid partitions are plain Linux ones).</summary>
    public static string? PartedFlag(string format) => format switch
    {
        "linux-lvm" => "lvm",
        "linux-raid" => "raid",
        _ => null,
    };

    /// <summary>The volume format a partition type code stands for; partitions libvirt makes for none and linux alike
    /// (dos 0x83, gpt "Linux filesystem") read back as none, as libvirt lists them.</summary>
    public static string FromPartitionType(string? partEntryType, string partedFileSystem)
    {
        switch (partEntryType?.ToLowerInvariant())
        {
            case "0x5" or "0xf" or "0x85": return Extended;
            case "0x82" or "0657fd6d-a4ab-43c4-84e5-0933c84b4f4f": return "linux-swap";
            case "0x4" or "0x6" or "0xe": return "fat16";
            case "0xb" or "0xc": return "fat32";
            case "ebd0a0a2-b9e5-4433-87c0-68b6b72699c7": return partedFileSystem == "fat16" ? "fat16" : "fat32";
            case "0x8e" or "e6d6d379-f507-44c2-a23c-238f2a3df928": return "linux-lvm";
            case "0xfd" or "a19d880f-05fc-4d3b-a006-743f0f84911e": return "linux-raid";
            default: return "none";
        }
    }
}
