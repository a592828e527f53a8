namespace KvmStor.Model;

public sealed record PoolSourceHost(string Name, int? Port = null);

public sealed record FreeExtent(ulong Start, ulong End);

public sealed record PoolSourceDevice
{
    public required string Path { get; init; }
    /// <summary>part_separator='yes|no'; null when absent.</summary>
    public bool? PartSeparator { get; init; }
    /// <summary>Output only (disk pools): unallocated regions of the device.</summary>
    public IReadOnlyList<FreeExtent> FreeExtents { get; init; } = [];
}

public enum AdapterKind { ScsiHost, FcHost }

/// <summary>A PCI address as written in XML (kept as the user's text so it round-trips).</summary>
public sealed record PciAddress(string Domain, string Bus, string Slot, string Function);

public sealed record PoolAdapter
{
    public AdapterKind Kind { get; init; }
    /// <summary>scsi_host: name='host0' or 'scsi_host0'.</summary>
    public string? Name { get; init; }
    /// <summary>scsi_host: parentaddr unique_id + PCI address.</summary>
    public string? ParentUniqueId { get; init; }
    public PciAddress? ParentAddress { get; init; }
    /// <summary>fc_host fields.</summary>
    public string? Parent { get; init; }
    public bool? Managed { get; init; }
    public string? ParentWwnn { get; init; }
    public string? ParentWwpn { get; init; }
    public string? ParentFabricWwn { get; init; }
    public string? Wwnn { get; init; }
    public string? Wwpn { get; init; }
}

public enum AuthType { Chap, Ceph }

public sealed record PoolAuth
{
    public AuthType Type { get; init; }
    public required string Username { get; init; }
    public Guid? SecretUuid { get; init; }
    public string? SecretUsage { get; init; }
    /// <summary>&lt;secret type='…'&gt; as written (domain-disk style); pools normally leave it unset.</summary>
    public string? SecretType { get; init; }
}

public sealed record PoolSource
{
    public IReadOnlyList<PoolSourceHost> Hosts { get; init; } = [];
    public IReadOnlyList<PoolSourceDevice> Devices { get; init; } = [];
    public string? Dir { get; init; }
    public PoolAdapter? Adapter { get; init; }
    public string? Name { get; init; }
    public string? InitiatorIqn { get; init; }
    /// <summary>Source format name as libvirt prints it (auto, ext4, nfs, gpt, dos, lvm2…); null when the type has none.</summary>
    public string? Format { get; init; }
    public PoolAuth? Auth { get; init; }
    public string? ProtocolVersion { get; init; }
    public string? Vendor { get; init; }
    public string? Product { get; init; }
}
