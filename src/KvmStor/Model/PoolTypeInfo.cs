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
/// Everything kvmstor knows about one pool type, in one row: its XML name (its number is its place in
/// <see cref="PoolType"/>), which source parts it uses with its source formats, where its target comes from, its XML
/// namespace, its volume-format rule, the type of the volumes it makes, when two of its pools conflict, how a guest's
/// disk path shows it uses one of its volumes, how qemu opens its volumes, and its places in libvirt's RPC lists. Parsing, formatting, pool-capabilities,
/// the engine and the guest code all read this table, so they cannot disagree; adding a pool type adds one row.
/// </summary>
public sealed record PoolTypeInfo
{
    public required PoolType Type { get; init; }
    /// <summary>The name in &lt;pool type='…'&gt;, pool-capabilities and virsh's --type.</summary>
    public required string XmlName { get; init; }
    public PoolSourceFlags SourceFlags { get; init; }
    /// <summary>Source format names in numeric order; empty when the type has no &lt;format&gt;.</summary>
    public IReadOnlyList<string> SourceFormats { get; init; } = [];
    public string? DefaultSourceFormat { get; init; }
    public PoolTargetRule Target { get; init; }
    public PoolXmlNamespace Namespace { get; init; }
    /// <summary>Which volume formats the type accepts, assumes, and lists in pool-capabilities.</summary>
    public required VolumeFormatRule VolumeFormats { get; init; }
    /// <summary>The type every volume the pool creates gets (its backend decides; the XML may not say).</summary>
    public required VolumeType NewVolumeType { get; init; }
    public required SourceConflictRule SourceConflict { get; init; }
    public required GuestDiskPaths GuestDiskPaths { get; init; }
    public required QemuVolumeDriver QemuDriver { get; init; }
    /// <summary>The type's bit among virConnectListAllStoragePools' type filters (VIR_CONNECT_LIST_STORAGE_POOLS_*, counted from the first type bit).</summary>
    public required int ListFilterBit { get; init; }
    /// <summary>Where libvirt's storage driver registers the type's backend (the order of the connection capabilities' type enum).</summary>
    public required int RegistrationOrder { get; init; }

    public bool HasSourceFormats => SourceFormats.Count > 0;
    public bool HasVolumeFormats => VolumeFormats.HasFormats;
    public bool Uses(PoolSourceFlags flag) => (SourceFlags & flag) != 0;

    /// <summary>Index of a source format name as libvirt numbers it, or -1.</summary>
    public int SourceFormatIndex(string? name) => name is null ? -1 : IndexOf(SourceFormats, name);

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
        PoolTypeInfo[] rows =
        [
            new()
            {
                Type = PoolType.Dir, XmlName = "dir",
                VolumeFormats = VolumeFormatRule.ImageFiles, NewVolumeType = VolumeType.File,
                SourceConflict = SourceConflictRule.SameTargetPath, GuestDiskPaths = GuestDiskPaths.TargetDirectory, QemuDriver = QemuVolumeDriver.File,
                ListFilterBit = 0, RegistrationOrder = 0,
            },
            new()
            {
                Type = PoolType.Fs, XmlName = "fs", SourceFlags = PoolSourceFlags.Device,
                SourceFormats = PoolFormats.FileSystem, DefaultSourceFormat = "auto", Namespace = PoolXmlNamespace.Fs,
                VolumeFormats = VolumeFormatRule.ImageFiles, NewVolumeType = VolumeType.File,
                SourceConflict = SourceConflictRule.SharedDevice, GuestDiskPaths = GuestDiskPaths.TargetDirectory, QemuDriver = QemuVolumeDriver.File,
                ListFilterBit = 1, RegistrationOrder = 1,
            },
            new()
            {
                Type = PoolType.NetFs, XmlName = "netfs", SourceFlags = PoolSourceFlags.Host | PoolSourceFlags.Dir,
                SourceFormats = PoolFormats.NetFileSystem, DefaultSourceFormat = "auto", Namespace = PoolXmlNamespace.Fs,
                VolumeFormats = VolumeFormatRule.ImageFiles, NewVolumeType = VolumeType.File,
                SourceConflict = SourceConflictRule.SameHostAndDir, GuestDiskPaths = GuestDiskPaths.TargetDirectory, QemuDriver = QemuVolumeDriver.File,
                ListFilterBit = 2, RegistrationOrder = 2,
            },
            new()
            {
                Type = PoolType.Logical, XmlName = "logical", SourceFlags = PoolSourceFlags.Name | PoolSourceFlags.Device,
                SourceFormats = PoolFormats.Logical, DefaultSourceFormat = "lvm2", Target = PoolTargetRule.DevSourceName,
                VolumeFormats = VolumeFormatRule.NoFormats, NewVolumeType = VolumeType.Block,
                SourceConflict = SourceConflictRule.SharedDevice, GuestDiskPaths = GuestDiskPaths.TargetDirectory, QemuDriver = QemuVolumeDriver.HostDevice,
                ListFilterBit = 3, RegistrationOrder = 3,
            },
            new()
            {
                Type = PoolType.Disk, XmlName = "disk", SourceFlags = PoolSourceFlags.Device,
                SourceFormats = PoolFormats.DiskLabel, DefaultSourceFormat = "unknown",
                VolumeFormats = VolumeFormatRule.Partitions, NewVolumeType = VolumeType.Block,
                SourceConflict = SourceConflictRule.SharedDevice, GuestDiskPaths = GuestDiskPaths.None, QemuDriver = QemuVolumeDriver.HostDevice,
                ListFilterBit = 4, RegistrationOrder = 8,
            },
            new()
            {
                Type = PoolType.Iscsi, XmlName = "iscsi", SourceFlags = PoolSourceFlags.Host | PoolSourceFlags.Device | PoolSourceFlags.InitiatorIqn,
                VolumeFormats = VolumeFormatRule.NoFormats, NewVolumeType = VolumeType.Block,
                SourceConflict = SourceConflictRule.SameHostDeviceAndInitiator, GuestDiskPaths = GuestDiskPaths.None,
                QemuDriver = QemuVolumeDriver.KernelIscsiOrDirect,
                ListFilterBit = 5, RegistrationOrder = 4,
            },
            new()
            {
                Type = PoolType.IscsiDirect, XmlName = "iscsi-direct",
                SourceFlags = PoolSourceFlags.Host | PoolSourceFlags.Device | PoolSourceFlags.Network | PoolSourceFlags.InitiatorIqn,
                Target = PoolTargetRule.None,
                VolumeFormats = VolumeFormatRule.NoFormats, NewVolumeType = VolumeType.Network,
                SourceConflict = SourceConflictRule.SameHostDeviceAndInitiator, GuestDiskPaths = GuestDiskPaths.None, QemuDriver = QemuVolumeDriver.Iscsi,
                ListFilterBit = 13, RegistrationOrder = 5,
            },
            new()
            {
                Type = PoolType.Scsi, XmlName = "scsi", SourceFlags = PoolSourceFlags.Adapter,
                VolumeFormats = VolumeFormatRule.NoFormats, NewVolumeType = VolumeType.Block,
                SourceConflict = SourceConflictRule.SameAdapter, GuestDiskPaths = GuestDiskPaths.None, QemuDriver = QemuVolumeDriver.HostDevice,
                ListFilterBit = 6, RegistrationOrder = 6,
            },
            new()
            {
                Type = PoolType.Mpath, XmlName = "mpath",
                VolumeFormats = VolumeFormatRule.NoFormats, NewVolumeType = VolumeType.Block,
                SourceConflict = SourceConflictRule.AnyOther, GuestDiskPaths = GuestDiskPaths.None, QemuDriver = QemuVolumeDriver.HostDevice,
                ListFilterBit = 7, RegistrationOrder = 7,
            },
            new()
            {
                Type = PoolType.Rbd, XmlName = "rbd", SourceFlags = PoolSourceFlags.Host | PoolSourceFlags.Network | PoolSourceFlags.Name,
                Target = PoolTargetRule.None, Namespace = PoolXmlNamespace.Rbd,
                VolumeFormats = VolumeFormatRule.RbdImages, NewVolumeType = VolumeType.Network,
                SourceConflict = SourceConflictRule.SameHostAndName, GuestDiskPaths = GuestDiskPaths.None, QemuDriver = QemuVolumeDriver.Rbd,
                ListFilterBit = 8, RegistrationOrder = 9,
            },
            new()
            {
                Type = PoolType.Sheepdog, XmlName = "sheepdog", SourceFlags = PoolSourceFlags.Host | PoolSourceFlags.Network | PoolSourceFlags.Name,
                Target = PoolTargetRule.None,
                VolumeFormats = VolumeFormatRule.NoFormats, NewVolumeType = VolumeType.Network,
                SourceConflict = SourceConflictRule.SameHostAndName, GuestDiskPaths = GuestDiskPaths.None, QemuDriver = QemuVolumeDriver.Sheepdog,
                ListFilterBit = 9, RegistrationOrder = 10,
            },
            new()
            {
                Type = PoolType.Gluster, XmlName = "gluster",
                SourceFlags = PoolSourceFlags.Host | PoolSourceFlags.Network | PoolSourceFlags.Name | PoolSourceFlags.Dir,
                Target = PoolTargetRule.None,
                VolumeFormats = VolumeFormatRule.ImageFiles, NewVolumeType = VolumeType.Network,
                SourceConflict = SourceConflictRule.SameHostNameAndDir, GuestDiskPaths = GuestDiskPaths.None, QemuDriver = QemuVolumeDriver.Gluster,
                ListFilterBit = 10, RegistrationOrder = 11,
            },
            new()
            {
                Type = PoolType.Zfs, XmlName = "zfs", SourceFlags = PoolSourceFlags.Name | PoolSourceFlags.Device,
                Target = PoolTargetRule.ZvolSourceName,
                VolumeFormats = VolumeFormatRule.NoFormats, NewVolumeType = VolumeType.Block,
                SourceConflict = SourceConflictRule.SharedDevice, GuestDiskPaths = GuestDiskPaths.ZvolDirectory, QemuDriver = QemuVolumeDriver.HostDevice,
                ListFilterBit = 11, RegistrationOrder = 12,
            },
            new()
            {
                Type = PoolType.Vstorage, XmlName = "vstorage", SourceFlags = PoolSourceFlags.Name,
                VolumeFormats = VolumeFormatRule.ImageFiles, NewVolumeType = VolumeType.File,
                SourceConflict = SourceConflictRule.SameName, GuestDiskPaths = GuestDiskPaths.TargetDirectory, QemuDriver = QemuVolumeDriver.File,
                ListFilterBit = 12, RegistrationOrder = 13,
            },
        ];
        if (rows.Length != Enum.GetValues<PoolType>().Length) throw new InvalidOperationException("a pool type has no row in the pool type table");
        for (int i = 0; i < rows.Length; i++)
            if ((int)rows[i].Type != i) throw new InvalidOperationException("pool type table out of order");
        if (rows.Select(r => r.ListFilterBit).Distinct().Count() != rows.Length || rows.Select(r => r.RegistrationOrder).Distinct().Count() != rows.Length)
            throw new InvalidOperationException("two pool types share a list filter bit or a registration place");
        return rows;
    }
}
