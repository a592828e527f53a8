using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.Images;

/// <summary>The backing file an image names, resolved to a path, with its format and (when it exists) its inode.</summary>
public sealed record ProbedBacking(string Path, string Format, FileSystemStatus? Status);

/// <summary>
/// One entry of a directory-based pool as libvirt's refresh sees it: the probed header plus stat facts
/// (allocation = st_blocks × 512, physical = st_size, mode/owner/group, nanosecond timestamps).
/// </summary>
public sealed record ProbedFile
{
    public required string Path { get; init; }
    public required VolumeType Type { get; init; }
    public required FileSystemStatus Status { get; init; }
    public required ImageProbe Image { get; init; }
    public required ulong Capacity { get; init; }
    public required ulong Allocation { get; init; }
    /// <summary>Bytes the file or device occupies; null for directories (libvirt prints no &lt;physical&gt;).</summary>
    public ulong? Physical { get; init; }
    public ProbedBacking? Backing { get; init; }

    public string Format => Image.Format;

    /// <summary>
    /// The file as the format kvmstor recorded for it: when the header now claims something else (a guest wrote a
    /// qcow2 header into its raw disk), nothing the header says is used — no capacity, no backing file — and the
    /// file is sized by its own length.
    /// </summary>
    public ProbedFile WithRecordedFormat(string format) =>
        format == Format ? this : this with
        {
            Image = new ImageProbe { Format = format },
            Capacity = Physical ?? Capacity,
            Backing = null,
        };

    /// <summary>
    /// The volume as libvirt 9.0's vol-dumpxml shows it after a pool refresh: qcow2 gets &lt;clusterSize&gt;;
    /// version 3 gets &lt;compat&gt;1.1 and &lt;features&gt; (version 2 gets neither); the backing store carries
    /// permissions and timestamps only while the backing file exists.
    /// </summary>
    public VolumeDefinition ToVolume(string? name = null) => new()
    {
        Type = Type,
        Name = name ?? System.IO.Path.GetFileName(Path),
        Key = Path,
        Capacity = Capacity,
        Allocation = Allocation,
        HasAllocation = true,
        Physical = Physical,
        Target = new VolumeTarget
        {
            Path = Path,
            Format = Format,
            Permissions = PermissionsOf(Status),
            Timestamps = TimestampsOf(Status),
            Encryption = Image.EncryptionFormat is { } enc ? new VolumeEncryption { Format = enc } : null,
            Compat = Image.Compat == "1.1" ? "1.1" : null,
            ClusterSize = Format == "qcow2" ? Image.ClusterSize : null,
            Features = Format == "qcow2" ? Image.Features : null,
        },
        Identity = Status.Identity,
        BackingStore = Backing is null ? null : new VolumeTarget
        {
            Path = Backing.Path,
            Format = Backing.Format,
            Permissions = Backing.Status is { } s ? PermissionsOf(s) : null,
            Timestamps = Backing.Status is { } t ? TimestampsOf(t) : null,
        },
    };

    private static Permissions PermissionsOf(FileSystemStatus s) => new() { Mode = s.Mode & 0x1FF, Owner = s.Owner, Group = s.Group };

    // libvirt reads stat(2), which has no birth time: btime always prints as 0.
    private static VolumeTimestamps TimestampsOf(FileSystemStatus s) =>
        new(s.Accessed.ToLibvirtString(), s.Modified.ToLibvirtString(), s.Changed.ToLibvirtString(), "0");
}
