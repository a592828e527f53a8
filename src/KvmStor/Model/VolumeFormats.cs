namespace KvmStor.Model;

/// <summary>
/// Volume format names as libvirt knows them: image file formats (virStorageFileFormat), qcow2 features,
/// disk-partition types (virStorageVolFormatDisk); which pool type accepts which is its <see cref="PoolTypeInfo.VolumeFormats"/>.
/// </summary>
public static class VolumeFormats
{
    /// <summary>Image file formats in libvirt's numeric order; index 0 ("none") is never accepted on input.</summary>
    public static IReadOnlyList<string> FileFormats { get; } =
        ["none", "raw", "dir", "bochs", "cloop", "dmg", "iso", "vpc", "vdi", "fat", "vhd", "ploop",
         "cow", "qcow", "qcow2", "qed", "vmdk"];

    /// <summary>The file formats whose images can point at a backing file (the last five of the enum).</summary>
    public static IReadOnlyList<string> BackingCapableFormats { get; } = ["cow", "qcow", "qcow2", "qed", "vmdk"];

    /// <summary>qcow2 feature elements, in the order libvirt prints them.</summary>
    public static IReadOnlyList<string> Qcow2Features { get; } = ["lazy_refcounts", "extended_l2"];

    /// <summary>Partition types of disk-pool volumes; "none" is a valid input here.</summary>
    public static IReadOnlyList<string> PartitionFormats { get; } =
        ["none", "linux", "fat16", "fat32", "linux-swap", "linux-lvm", "linux-raid", "extended"];

    /// <summary>The parted file-system type used for each partition format (same index as <see cref="PartitionFormats"/>).</summary>
    private static readonly string[] PartedFsTypes =
        ["ext2", "ext2", "fat16", "fat32", "linux-swap", "ext2", "ext2", "extended"];

    /// <summary>&lt;encryption format='…'&gt; values in libvirt's numeric order (errors print the number).</summary>
    public static IReadOnlyList<string> EncryptionFormats { get; } = ["default", "qcow", "luks", "luks2"];

    /// <summary>&lt;encryption engine='…'&gt; values; "default" (0) is implied by omission and refused when written.</summary>
    public static IReadOnlyList<string> EncryptionEngines { get; } = ["default", "qemu", "librbd"];

    /// <summary>
    /// The formats qemu opens as they are, as &lt;driver type&gt; names: an image of any of them is given to qemu in its
    /// own format. Read-only ones (cloop, dmg, bochs) too: opened as raw, the guest would see the container's bytes.
    /// </summary>
    public static IReadOnlySet<string> QemuNativeFormats { get; } = new HashSet<string>(StringComparer.Ordinal)
        { "qcow2", "qed", "vmdk", "vdi", "vpc", "vhdx", "luks", "cloop", "dmg", "bochs", "parallels" };

    /// <summary>The &lt;driver type&gt; qemu opens a volume of <paramref name="format"/> with: the format itself when
    /// qemu knows it, else raw (partitions report 'none' or 'linux', a plain file 'raw' or 'iso').</summary>
    public static string QemuDriverType(string? format) =>
        format is not null && QemuNativeFormats.Contains(format) ? format : "raw";

    public static bool CanHaveBackingStore(string? format) => format is not null && BackingCapableFormats.Contains(format);

    public static string? PartedFsType(string partitionFormat)
    {
        int i = IndexOf(PartitionFormats, partitionFormat);
        return i < 0 ? null : PartedFsTypes[i];
    }

    /// <summary>The volume-format rule of a pool type (which names it accepts and which it assumes when none is given).</summary>
    public static VolumeFormatRule RuleFor(PoolType poolType) => PoolTypeInfo.For(poolType).VolumeFormats;

    internal static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (int i = 0; i < names.Count; i++)
            if (names[i] == name) return i;
        return -1;
    }
}

/// <summary>
/// What a pool type does with &lt;format type='…'/&gt; of its volumes. Pools without formats (logical, iscsi,
/// scsi, mpath, zfs, …) neither read nor print the element.
/// </summary>
public sealed class VolumeFormatRule
{
    public static VolumeFormatRule ImageFiles { get; } = new(VolumeFormats.FileFormats, "raw", acceptsFirst: false);
    /// <summary>rbd takes image-file formats but libvirt lists none in its capabilities (its table has no count).</summary>
    public static VolumeFormatRule RbdImages { get; } = new(VolumeFormats.FileFormats, "raw", acceptsFirst: false, listed: []);
    public static VolumeFormatRule Partitions { get; } = new(VolumeFormats.PartitionFormats, "none", acceptsFirst: true);
    public static VolumeFormatRule NoFormats { get; } = new([], null, acceptsFirst: false);

    private readonly bool _acceptsFirst;

    private VolumeFormatRule(IReadOnlyList<string> names, string? defaultFormat, bool acceptsFirst,
        IReadOnlyList<string>? listed = null)
    {
        Names = names;
        DefaultFormat = defaultFormat;
        _acceptsFirst = acceptsFirst;
        CapabilityValues = listed ?? names;
    }

    /// <summary>Every name the pool type knows, in enum order (index 0 included).</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The &lt;enum name='targetFormatType'&gt; values pool-capabilities prints for the pool type.</summary>
    public IReadOnlyList<string> CapabilityValues { get; }

    /// <summary>The format assumed when the XML gives none; null when the pool type has no volume formats.</summary>
    public string? DefaultFormat { get; }

    public bool HasFormats => DefaultFormat is not null;

    /// <summary>True when <paramref name="name"/> is accepted as input (file pools refuse "none").</summary>
    public bool Accepts(string name)
    {
        int i = VolumeFormats.IndexOf(Names, name);
        return i > 0 || (i == 0 && _acceptsFirst);
    }
}
