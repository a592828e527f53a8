using System.Xml.Linq;

namespace KvmStor.Guests;

/// <summary>One host of a network disk source.</summary>
public sealed record DiskSourceHost(string Name, int? Port, string? Transport = null, string? Socket = null);

/// <summary>
/// What kvmstor reads from a &lt;disk&gt; element: enough to list it, find who uses a volume and resolve it to qemu
/// block nodes. The element itself stays in the document untouched.
/// </summary>
public sealed record DiskDefinition
{
    /// <summary>file, block, dir, network or volume.</summary>
    public required string Type { get; init; }
    /// <summary>disk, cdrom, floppy or lun.</summary>
    public string Device { get; init; } = "disk";
    public string? DriverName { get; init; }
    public string? DriverType { get; init; }
    public string? Cache { get; init; }
    public string? Io { get; init; }
    /// <summary>The path of file/block/dir sources.</summary>
    public string? SourcePath { get; init; }
    public string? Protocol { get; init; }
    /// <summary>The name of a network source (pool/image for rbd, volume/path for gluster, iqn/lun for iscsi).</summary>
    public string? SourceName { get; init; }
    public IReadOnlyList<DiskSourceHost> Hosts { get; init; } = [];
    public string? SourcePool { get; init; }
    public string? SourceVolume { get; init; }
    /// <summary>For volumes of iscsi pools: host (the kernel's device) or direct (qemu's iSCSI initiator).</summary>
    public string? SourceMode { get; init; }
    public required string TargetDev { get; init; }
    public string? TargetBus { get; init; }
    public bool ReadOnly { get; init; }
    public bool Shareable { get; init; }
    public string? Serial { get; init; }
    public string? Wwn { get; init; }

    public bool HasSource => SourcePath is not null || SourceName is not null || SourceVolume is not null;

    /// <summary>What virsh's domblklist prints as the source: the path, the network name, the volume name, or "-".</summary>
    public string SourceDisplay => SourcePath ?? SourceName ?? SourceVolume ?? "-";

    /// <summary>The bus, given or implied by the target name as libvirt implies it.</summary>
    public string Bus => TargetBus ?? DiskTargetNames.BusForPrefix(TargetDev);

    public static DiskDefinition FromElement(XElement disk)
    {
        string type = disk.Attribute("type")?.Value ?? "file";
        var source = disk.Element("source");
        var driver = disk.Element("driver");
        var target = disk.Element("target");
        string? dev = target?.Attribute("dev")?.Value;
        if (string.IsNullOrEmpty(dev))
            throw StorageException.Xml("missing target information for device " + (SourceText(source) ?? "disk"));
        if (type is not ("file" or "block" or "dir" or "network" or "volume"))
            throw StorageException.Xml($"unknown disk type '{type}'");
        string device = disk.Attribute("device")?.Value ?? "disk";
        if (device is not ("disk" or "cdrom" or "floppy" or "lun"))
            throw StorageException.Xml($"unknown disk device '{device}'");
        return new DiskDefinition
        {
            Type = type,
            Device = device,
            DriverName = driver?.Attribute("name")?.Value,
            DriverType = driver?.Attribute("type")?.Value,
            Cache = driver?.Attribute("cache")?.Value,
            Io = driver?.Attribute("io")?.Value,
            SourcePath = type switch
            {
                "file" => source?.Attribute("file")?.Value,
                "block" => source?.Attribute("dev")?.Value,
                "dir" => source?.Attribute("dir")?.Value,
                _ => null,
            },
            Protocol = type == "network" ? source?.Attribute("protocol")?.Value : null,
            SourceName = type == "network" ? source?.Attribute("name")?.Value : null,
            Hosts = source?.Elements("host").Select(ReadHost).ToList() ?? [],
            SourcePool = type == "volume" ? source?.Attribute("pool")?.Value : null,
            SourceVolume = type == "volume" ? source?.Attribute("volume")?.Value : null,
            SourceMode = type == "volume" ? source?.Attribute("mode")?.Value : null,
            TargetDev = dev,
            TargetBus = target?.Attribute("bus")?.Value,
            ReadOnly = disk.Element("readonly") is not null,
            Shareable = disk.Element("shareable") is not null,
            Serial = disk.Element("serial")?.Value,
            Wwn = disk.Element("wwn")?.Value,
        };
    }

    private static string? SourceText(XElement? source) =>
        source?.Attribute("file")?.Value ?? source?.Attribute("dev")?.Value ?? source?.Attribute("name")?.Value ?? source?.Attribute("volume")?.Value;

    private static DiskSourceHost ReadHost(XElement host) => new(
        host.Attribute("name")?.Value ?? "",
        int.TryParse(host.Attribute("port")?.Value, out int port) ? port : null,
        host.Attribute("transport")?.Value,
        host.Attribute("socket")?.Value);
}
