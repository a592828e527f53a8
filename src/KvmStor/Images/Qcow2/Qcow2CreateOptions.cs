namespace KvmStor.Images.Qcow2;

/// <summary>How much of a new qcow2 image is allocated up front.</summary>
public enum Qcow2Preallocation
{
    /// <summary>Only header, refcounts and an empty L1 table.</summary>
    Off,
    /// <summary>L2 tables and data clusters are allocated and refcounted; the data area stays a hole.</summary>
    Metadata,
    /// <summary>As Metadata, and the file's blocks are reserved with fallocate.</summary>
    Falloc,
    /// <summary>As Metadata, and the data area is written with zeros.</summary>
    Full,
}

/// <summary>Everything that decides the layout of a new qcow2 image.</summary>
public sealed record Qcow2CreateOptions
{
    public const int DefaultClusterSize = 65536;
    public const int MinClusterSize = 512;
    public const int MaxClusterSize = 2 * 1024 * 1024;

    /// <summary>Guest-visible size in bytes; rounded up to a multiple of 512 as qemu does.</summary>
    public required long VirtualSize { get; init; }
    public int ClusterSize { get; init; } = DefaultClusterSize;
    /// <summary>"0.10" (qcow2 version 2) or "1.1" (version 3); qemu's aliases "v2" and "v3" are accepted too.</summary>
    public string Compat { get; init; } = "1.1";
    public bool LazyRefcounts { get; init; }
    public bool ExtendedL2 { get; init; }
    /// <summary>Backing file name as stored in the image (relative names resolve against the image's directory).</summary>
    public string? BackingFile { get; init; }
    /// <summary>Format of the backing file ("raw", "qcow2", …), recorded so readers need not probe.</summary>
    public string? BackingFormat { get; init; }
    public Qcow2Preallocation Preallocation { get; init; } = Qcow2Preallocation.Off;
    /// <summary>Set btrfs's NOCOW attribute on the new file before anything is written (qemu-img's nocow=on).</summary>
    public bool NoCopyOnWrite { get; init; }
    /// <summary>
    /// fsync the new file before returning. A caller that syncs the file itself before giving it its name (a volume
    /// build area) turns this off, so the file is not synced twice.
    /// </summary>
    public bool SyncToDisk { get; init; } = true;

    internal int Version => Compat switch
    {
        "0.10" or "v2" => 2,
        "1.1" or "v3" => 3,
        _ => throw StorageException.InvalidArg($"Invalid compatibility level: '{Compat}'"),
    };

    /// <summary>Throws a clear error for combinations qcow2 (or qemu) cannot represent.</summary>
    internal void Validate()
    {
        int version = Version;
        if (VirtualSize < 0 || VirtualSize > Qcow2Format.MaxVirtualSize)
            throw StorageException.InvalidArg($"Invalid qcow2 virtual size {VirtualSize}");
        if (ClusterSize < MinClusterSize || ClusterSize > MaxClusterSize || (ClusterSize & (ClusterSize - 1)) != 0)
            throw StorageException.InvalidArg(
                $"Cluster size must be a power of two between {MinClusterSize} and {MaxClusterSize / 1024}k");
        if (version < 3 && LazyRefcounts)
            throw StorageException.InvalidArg("Lazy refcounts only supported with compatibility level 1.1 and above (use compat=1.1 or greater)");
        if (version < 3 && ExtendedL2)
            throw StorageException.InvalidArg("Extended L2 entries are only supported with compatibility level 1.1 and above (use compat=1.1 or greater)");
        if (ExtendedL2 && ClusterSize < 16384)
            throw StorageException.InvalidArg("Extended L2 entries are only supported with cluster sizes of at least 16384 bytes");
        if (BackingFormat != null && BackingFile == null)
            throw StorageException.InvalidArg("Backing format cannot be used without backing file");
        if (BackingFile != null)
        {
            if (BackingFile.Length == 0 || BackingFile.Contains('\0'))
                throw StorageException.InvalidArg("Invalid backing file name");
            if (System.Text.Encoding.UTF8.GetByteCount(BackingFile) > Qcow2Format.MaxBackingFileNameLength)
                throw StorageException.InvalidArg($"Backing file name too long (at most {Qcow2Format.MaxBackingFileNameLength} bytes)");
            if (BackingFormat != null && (BackingFormat.Length == 0 || BackingFormat.Contains('\0') || BackingFormat.Length > 16))
                throw StorageException.InvalidArg($"Invalid backing file format '{BackingFormat}'");
            if (Preallocation != Qcow2Preallocation.Off && !ExtendedL2)
                throw StorageException.InvalidArg("Backing file and preallocation can only be used at the same time if extended_l2 is on");
        }
    }
}
