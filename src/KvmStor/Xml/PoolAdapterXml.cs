using System.Globalization;
using System.Xml.Linq;
using KvmStor.Model;
using static KvmStor.Xml.PoolXmlReading;

namespace KvmStor.Xml;

/// <summary>The &lt;adapter&gt; of a scsi pool: scsi_host (by name or by parent PCI address) or fc_host (vHBA).</summary>
public static class PoolAdapterXml
{
    /// <summary>Reads an adapter; returns null for a legacy adapter with neither type nor name ("default").</summary>
    public static PoolAdapter? Parse(XElement node)
    {
        string? type = Attribute(node, "type");
        switch (type)
        {
            case null:
                return ParseLegacy(node);
            case "scsi_host":
                return ParseScsiHost(node);
            case "fc_host":
                return new PoolAdapter
                {
                    Kind = AdapterKind.FcHost,
                    Managed = YesNoAttribute(node, "managed"),
                    Parent = Attribute(node, "parent"),
                    ParentWwnn = Attribute(node, "parent_wwnn"),
                    ParentWwpn = Attribute(node, "parent_wwpn"),
                    ParentFabricWwn = Attribute(node, "parent_fabric_wwn"),
                    Wwpn = Attribute(node, "wwpn"),
                    Wwnn = Attribute(node, "wwnn"),
                };
            default:
                throw InvalidAttribute("type", "adapter", type);
        }
    }

    /// <summary>The checks libvirt runs for pool types that use an adapter (scsi).</summary>
    public static void Validate(PoolAdapter? adapter)
    {
        if (adapter is null)
            throw StorageException.Xml("missing storage pool source adapter");
        if (adapter.Kind == AdapterKind.FcHost)
        {
            if (adapter.Wwnn is null || adapter.Wwpn is null)
                throw StorageException.Xml("'wwnn' and 'wwpn' must be specified for adapter type 'fchost'");
            ValidateWwn(adapter.Wwnn);
            ValidateWwn(adapter.Wwpn);
            if (adapter.ParentWwnn is not null && adapter.ParentWwpn is null)
                throw StorageException.Xml($"when providing parent_wwnn='{adapter.ParentWwnn}', the parent_wwpn must also be provided");
            if (adapter.ParentWwnn is null && adapter.ParentWwpn is not null)
                throw StorageException.Xml($"when providing parent_wwpn='{adapter.ParentWwpn}', the parent_wwnn must also be provided");
            if (adapter.ParentWwnn is not null) ValidateWwn(adapter.ParentWwnn);
            if (adapter.ParentWwpn is not null) ValidateWwn(adapter.ParentWwpn);
            if (adapter.ParentFabricWwn is not null) ValidateWwn(adapter.ParentFabricWwn);
            return;
        }
        bool hasParent = adapter.ParentAddress is not null;
        if (adapter.Name is null && !hasParent)
            throw StorageException.Xml("Either 'name' or 'parent' must be specified for the 'scsi_host' adapter");
        if (adapter.Name is not null && hasParent)
            throw StorageException.Xml("Both 'name' and 'parent' cannot be specified for the 'scsi_host' adapter");
    }

    public static void Format(XmlOut x, PoolAdapter adapter)
    {
        if (adapter.Kind == AdapterKind.FcHost)
        {
            x.Empty("adapter",
                ("type", "fc_host"),
                ("parent", adapter.Parent),
                ("parent_wwnn", adapter.ParentWwnn),
                ("parent_wwpn", adapter.ParentWwpn),
                ("parent_fabric_wwn", adapter.ParentFabricWwn),
                ("managed", adapter.Managed is null ? null : adapter.Managed.Value ? "yes" : "no"),
                ("wwnn", adapter.Wwnn ?? "(null)"),
                ("wwpn", adapter.Wwpn ?? "(null)"));
            return;
        }
        if (adapter.Name is not null || adapter.ParentAddress is null)
        {
            x.Empty("adapter", ("type", "scsi_host"), ("name", adapter.Name ?? "(null)"));
            return;
        }
        var a = adapter.ParentAddress;
        x.Open("adapter", ("type", "scsi_host"))
         .Open("parentaddr", ("unique_id", adapter.ParentUniqueId ?? "0"))
         .Empty("address", ("domain", a.Domain), ("bus", a.Bus), ("slot", a.Slot), ("function", a.Function))
         .Close("parentaddr")
         .Close("adapter");
    }

    private static PoolAdapter? ParseLegacy(XElement node)
    {
        if (Attribute(node, "wwnn") is not null || Attribute(node, "wwpn") is not null || Attribute(node, "parent") is not null)
            throw StorageException.Xml("Use of 'wwnn', 'wwpn', and 'parent' attributes requires use of the adapter 'type'");
        if (Child(node, "parentaddr") is not null)
            throw StorageException.Xml("Use of 'parentaddr' element requires use of the adapter 'type'");
        string? name = Attribute(node, "name");
        return name is null ? null : new PoolAdapter { Kind = AdapterKind.ScsiHost, Name = name };
    }

    private static PoolAdapter ParseScsiHost(XElement node)
    {
        var adapter = new PoolAdapter { Kind = AdapterKind.ScsiHost, Name = Attribute(node, "name") };
        var parentaddr = Child(node, "parentaddr");
        if (parentaddr is null) return adapter;
        var address = Child(parentaddr, "address") ?? throw StorageException.Xml("Missing scsi_host PCI address element");
        var pci = new PciAddress(
            FormatPciPart(address, "domain", "x4"),
            FormatPciPart(address, "bus", "x2"),
            FormatPciPart(address, "slot", "x2"),
            "0x" + ParsePciPart(address, "function").ToString(CultureInfo.InvariantCulture));
        string? uniqueText = XmlText.AbsentIfEmpty(Attribute(parentaddr, "unique_id"));
        if (uniqueText is null || !int.TryParse(uniqueText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int uniqueId) || uniqueId < 0)
            throw StorageException.Xml("Missing or invalid scsi adapter 'unique_id' value");
        return adapter with { ParentAddress = pci, ParentUniqueId = uniqueId.ToString(CultureInfo.InvariantCulture) };
    }

    private static string FormatPciPart(XElement address, string name, string hexFormat) =>
        "0x" + ParsePciPart(address, name).ToString(hexFormat, CultureInfo.InvariantCulture);

    /// <summary>An unsigned number in C's base-0 notation (0x hex, leading 0 octal, else decimal); absent is 0.</summary>
    private static uint ParsePciPart(XElement address, string name)
    {
        string? text = Attribute(address, name);
        if (text is null) return 0;
        string t = text.Trim();
        try
        {
            if (t.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && t.Length > 2)
                return uint.Parse(t.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
            if (t.Length > 1 && t[0] == '0')
                return Convert.ToUInt32(t[1..], 8);
            return uint.Parse(t, NumberStyles.None, CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            throw StorageException.Xml($"Cannot parse <address> '{name}' attribute");
        }
    }

    /// <summary>A WWN is 16 hex digits, optionally prefixed by 0x.</summary>
    private static void ValidateWwn(string wwn)
    {
        var digits = wwn.StartsWith("0x", StringComparison.Ordinal) ? wwn.AsSpan(2) : wwn.AsSpan();
        bool ok = digits.Length == 16;
        foreach (char c in digits) ok &= char.IsAsciiHexDigit(c);
        if (!ok) throw StorageException.Xml($"Malformed wwn: {wwn}");
    }
}
