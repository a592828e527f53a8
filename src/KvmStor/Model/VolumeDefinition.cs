namespace KvmStor.Model;

/// <summary>libvirt's virStorageVolType.</summary>
public enum VolumeType { File, Block, Dir, Network, NetDir, Ploop }

public static class VolumeTypeNames
{
    private static readonly string[] Names = ["file", "block", "dir", "network", "netdir", "ploop"];
    public static string ToXmlName(this VolumeType t) => Names[(int)t];
    public static bool TryParse(string? s, out VolumeType t)
    {
        int i = s is null ? -1 : Array.IndexOf(Names, s);
        t = i < 0 ? default : (VolumeType)i;
        return i >= 0;
    }
}

public sealed record VolumeExtent(ulong Start, ulong End);

/// <summary>Output only: the device and extents a volume occupies (logical and disk pools).</summary>
public sealed record VolumeSourceDevice(string Path, IReadOnlyList<VolumeExtent> Extents);

/// <summary>"sec[.nanosec]" stamps as libvirt prints them.</summary>
public sealed record VolumeTimestamps(string? Atime, string? Mtime, string? Ctime, string? Btime);

/// <summary>&lt;encryption&gt; of a volume (storage_encryption_conf).</summary>
public sealed record VolumeEncryption
{
    public required string Format { get; init; }
    public string? Engine { get; init; }
    public IReadOnlyList<EncryptionSecret> Secrets { get; init; } = [];
    public string? CipherName { get; init; }
    public string? CipherSize { get; init; }
    public string? CipherMode { get; init; }
    public string? CipherHash { get; init; }
    public string? IvgenName { get; init; }
    public string? IvgenHash { get; init; }
}

public sealed record EncryptionSecret(string Type, Guid? Uuid, string? Usage);

/// <summary>The &lt;target&gt; of a volume, or its &lt;backingStore&gt; (which uses path, format, permissions, timestamps).</summary>
public sealed record VolumeTarget
{
    public string? Path { get; init; }
    /// <summary>Format name as libvirt prints it (raw, qcow2, dir, linux, none…); null prints no &lt;format&gt;.</summary>
    public string? Format { get; init; }
    public Permissions? Permissions { get; init; }
    public VolumeTimestamps? Timestamps { get; init; }
    public VolumeEncryption? Encryption { get; init; }
    public string? Compat { get; init; }
    public bool NoCow { get; init; }
    public ulong? ClusterSize { get; init; }
    /// <summary>null: no &lt;features&gt; element; empty: &lt;features/&gt;.</summary>
    public IReadOnlyList<string>? Features { get; init; }
}

/// <summary>One storage volume as libvirt's volume XML describes it.</summary>
public sealed record VolumeDefinition
{
    public VolumeType? Type { get; init; }
    public required string Name { get; init; }
    public string? Key { get; init; }
    public IReadOnlyList<VolumeSourceDevice> SourceDevices { get; init; } = [];
    public ulong Capacity { get; init; }
    /// <summary>True when the XML gave &lt;capacity&gt; (vol-create-from may omit it).</summary>
    public bool HasCapacity { get; init; } = true;
    public ulong Allocation { get; init; }
    /// <summary>False when the XML gave no &lt;allocation&gt; (then allocation defaults to capacity).</summary>
    public bool HasAllocation { get; init; }
    public ulong? Physical { get; init; }
    public VolumeTarget Target { get; init; } = new();
    public VolumeTarget? BackingStore { get; init; }
    /// <summary>
    /// Not XML: which file a file-backed volume was when it was looked up. Operations on it check that they opened
    /// this same file, so an entry swapped meanwhile is refused instead of acted on.
    /// </summary>
    public FileIdentity? Identity { get; init; }
}

/// <summary>A file as the kernel names it: the device of its file system and its inode number.</summary>
public readonly record struct FileIdentity(uint DeviceMajor, uint DeviceMinor, ulong Inode);
