namespace KvmStor.Model;

/// <summary>Which &lt;source&gt; parts a pool type uses (libvirt's VIR_STORAGE_POOL_SOURCE_* flags).</summary>
[Flags]
public enum PoolSourceFlags
{
    None = 0,
    Host = 1 << 0,
    Device = 1 << 1,
    Dir = 1 << 2,
    Adapter = 1 << 3,
    Name = 1 << 4,
    InitiatorIqn = 1 << 5,
    /// <summary>Network pools have no local target (no &lt;target&gt;, no permissions).</summary>
    Network = 1 << 6,
}

/// <summary>How a pool type gets its target path.</summary>
public enum PoolTargetRule
{
    /// <summary>&lt;target&gt;&lt;path&gt; must be given.</summary>
    Required,
    /// <summary>Always /dev/&lt;source name&gt; (logical); a given path is ignored.</summary>
    DevSourceName,
    /// <summary>Always /dev/zvol/&lt;source name&gt; (zfs); a given path is ignored.</summary>
    ZvolSourceName,
    /// <summary>No target at all (network pools).</summary>
    None,
}

/// <summary>The XML namespace extension a pool type accepts.</summary>
public enum PoolXmlNamespace { None, Fs, Rbd }

/// <summary>
/// One row of libvirt's per-type table (poolTypeInfo): which source parts the type uses, its source and volume
/// formats with their defaults, and where its target comes from. Parsing, formatting and pool-capabilities all
/// read this table so they cannot disagree.
/// </summary>
public sealed record PoolTypeInfo
{
    public required PoolType Type { get; init; }
    public PoolSourceFlags SourceFlags { get; init; }
    /// <summary>Source format names in numeric order; empty when the type has no &lt;format&gt;.</summary>
    public IReadOnlyList<string> SourceFormats { get; init; } = [];
    public string? DefaultSourceFormat { get; init; }
    /// <summary>Volume format names accepted for this type; empty when volumes carry no &lt;format&gt;.</summary>
    public IReadOnlyList<string> VolumeFormats { get; init; } = [];
    public string? DefaultVolumeFormat { get; init; }
    /// <summary>
    /// The names pool-capabilities lists in targetFormatType. Equal to <see cref="VolumeFormats"/> except for rbd,
    /// whose libvirt table never set the list length, so the enum prints empty.
    /// </summary>
    public IReadOnlyList<string> CapabilityVolumeFormats { get; init; } = [];
    public PoolTargetRule Target { get; init; }
    public PoolXmlNamespace Namespace { get; init; }

    public bool HasSourceFormats => SourceFormats.Count > 0;
    public bool HasVolumeFormats => VolumeFormats.Count > 0;
    public bool Uses(PoolSourceFlags flag) => (SourceFlags & flag) != 0;

    /// <summary>Index of a source format name as libvirt numbers it, or -1.</summary>
    public int SourceFormatIndex(string? name) => name is null ? -1 : IndexOf(SourceFormats, name);

    /// <summary>
    /// Whether <paramref name="name"/> is a volume format this type accepts on input. File formats refuse "none"
    /// (libvirt's virStorageVolumeFormatFromString); disk partition types accept it.
    /// </summary>
    public bool AcceptsVolumeFormat(string name) =>
        IndexOf(VolumeFormats, name) >= 0 && !(ReferenceEquals(VolumeFormats, PoolFormats.VolumeFile) && name == "none");

    public static PoolTypeInfo For(PoolType type) => Table[(int)type];

    public static IReadOnlyList<PoolTypeInfo> All => Table;

    private static int IndexOf(IReadOnlyList<string> list, string name)
    {
        for (int i = 0; i < list.Count; i++)
            if (list[i] == name) return i;
        return -1;
    }

    private static readonly PoolTypeInfo[] Table = Build();

    private static PoolTypeInfo[] Build()
    {
        var file = PoolFormats.VolumeFile;
        PoolTypeInfo[] rows =
        [
            new() { Type = PoolType.Dir, VolumeFormats = file, CapabilityVolumeFormats = file, DefaultVolumeFormat = "raw" },
            new()
            {
                Type = PoolType.Fs, SourceFlags = PoolSourceFlags.Device,
                SourceFormats = PoolFormats.FileSystem, DefaultSourceFormat = "auto",
                VolumeFormats = file, CapabilityVolumeFormats = file, DefaultVolumeFormat = "raw", Namespace = PoolXmlNamespace.Fs,
            },
            new()
            {
                Type = PoolType.NetFs, SourceFlags = PoolSourceFlags.Host | PoolSourceFlags.Dir,
                SourceFormats = PoolFormats.NetFileSystem, DefaultSourceFormat = "auto",
                VolumeFormats = file, CapabilityVolumeFormats = file, DefaultVolumeFormat = "raw", Namespace = PoolXmlNamespace.Fs,
            },
            new()
            {
                Type = PoolType.Logical, SourceFlags = PoolSourceFlags.Name | PoolSourceFlags.Device,
                SourceFormats = PoolFormats.Logical, DefaultSourceFormat = "lvm2", Target = PoolTargetRule.DevSourceName,
            },
            new()
            {
                Type = PoolType.Disk, SourceFlags = PoolSourceFlags.Device,
                SourceFormats = PoolFormats.DiskLabel, DefaultSourceFormat = "unknown",
                VolumeFormats = PoolFormats.VolumeDisk, CapabilityVolumeFormats = PoolFormats.VolumeDisk, DefaultVolumeFormat = "none",
            },
            new() { Type = PoolType.Iscsi, SourceFlags = PoolSourceFlags.Host | PoolSourceFlags.Device | PoolSourceFlags.InitiatorIqn },
            new()
            {
                Type = PoolType.IscsiDirect,
                SourceFlags = PoolSourceFlags.Host | PoolSourceFlags.Device | PoolSourceFlags.Network | PoolSourceFlags.InitiatorIqn,
                Target = PoolTargetRule.None,
            },
            new() { Type = PoolType.Scsi, SourceFlags = PoolSourceFlags.Adapter },
            new() { Type = PoolType.Mpath },
            new()
            {
                Type = PoolType.Rbd, SourceFlags = PoolSourceFlags.Host | PoolSourceFlags.Network | PoolSourceFlags.Name,
                VolumeFormats = file, CapabilityVolumeFormats = [], DefaultVolumeFormat = "raw",
                Target = PoolTargetRule.None, Namespace = PoolXmlNamespace.Rbd,
            },
            new()
            {
                Type = PoolType.Sheepdog, SourceFlags = PoolSourceFlags.Host | PoolSourceFlags.Network | PoolSourceFlags.Name,
                Target = PoolTargetRule.None,
            },
            new()
            {
                Type = PoolType.Gluster,
                SourceFlags = PoolSourceFlags.Host | PoolSourceFlags.Network | PoolSourceFlags.Name | PoolSourceFlags.Dir,
                VolumeFormats = file, CapabilityVolumeFormats = file, DefaultVolumeFormat = "raw", Target = PoolTargetRule.None,
            },
            new() { Type = PoolType.Zfs, SourceFlags = PoolSourceFlags.Name | PoolSourceFlags.Device, Target = PoolTargetRule.ZvolSourceName },
            new()
            {
                Type = PoolType.Vstorage, SourceFlags = PoolSourceFlags.Name,
                VolumeFormats = file, CapabilityVolumeFormats = file, DefaultVolumeFormat = "raw",
            },
        ];
        for (int i = 0; i < rows.Length; i++)
            if ((int)rows[i].Type != i) throw new InvalidOperationException("pool type table out of order");
        return rows;
    }
}
