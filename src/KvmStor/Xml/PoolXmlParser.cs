using System.Globalization;
using System.Xml.Linq;
using KvmStor.Model;
using static KvmStor.Xml.PoolXmlReading;

namespace KvmStor.Xml;

/// <summary>
/// Turns a &lt;pool&gt; element into a <see cref="PoolDefinition"/>, checking in libvirt's order so that the
/// first error reported is the one libvirt reports (virStoragePoolDefParseXML).
/// </summary>
internal static class PoolXmlParser
{
    public static PoolDefinition Parse(XElement root, PoolParseOptions options)
    {
        if (root.Name != XName.Get("pool"))
            throw StorageException.Xml($"unexpected root element <{root.Name.LocalName}>, expecting <pool>");

        string typeText = Attribute(root, "type")
            ?? throw StorageException.Xml("Missing required attribute 'type' in element 'pool'");
        if (!PoolTypeNames.TryParse(typeText, out var type))
            throw InvalidAttribute("type", "pool", typeText);
        var info = PoolTypeInfo.For(type);

        var source = PoolSourceXml.Parse(Child(root, "source"), type, options.IncludeRuntimeData);

        string name = ChildText(root, "name")
            ?? (info.Uses(PoolSourceFlags.Name) ? source.Name : null)
            ?? throw StorageException.Xml("missing pool source name element");
        if (name.Contains('/'))
            throw StorageException.Xml($"name {name} cannot contain '/'");

        Guid uuid;
        string? uuidText = ChildText(root, "uuid");
        if (uuidText is null) uuid = Guid.NewGuid(); // random, RFC 4122 version 4 as libvirt's virUUIDGenerate
        else if (!TryParseUuid(uuidText, out uuid))
            throw StorageException.Xml("malformed uuid element");

        bool? cow = YesNoAttribute(Child(Child(root, "features"), "cow"), "state");
        if (cow is not null && type is not (PoolType.Fs or PoolType.Dir))
            throw StorageException.NoSupport("cow feature may only be used for 'fs' and 'dir' pools");

        if (info.Uses(PoolSourceFlags.Host) && source.Hosts.Count == 0)
            throw StorageException.Xml("missing storage pool source host name");
        if (info.Uses(PoolSourceFlags.Dir) && source.Dir is null)
            throw StorageException.Xml("missing storage pool source path");
        if (info.Uses(PoolSourceFlags.Name) && source.Name is null)
            source = source with { Name = name };
        if (info.Uses(PoolSourceFlags.Adapter))
            PoolAdapterXml.Validate(source.Adapter);
        if (info.SourceFlags == PoolSourceFlags.Device && source.Devices.Count == 0)
            throw StorageException.Xml("missing storage pool source device name");

        PoolTarget? target = null;
        if (!info.Uses(PoolSourceFlags.Network))
        {
            string path = info.Target switch
            {
                PoolTargetRule.DevSourceName => "/dev/" + source.Name,
                PoolTargetRule.ZvolSourceName => "/dev/zvol/" + source.Name,
                _ => ChildText(Child(root, "target"), "path") ?? throw StorageException.Xml("missing storage pool target path"),
            };
            target = new PoolTarget
            {
                Path = SanitizePath(path),
                Permissions = ParsePermissions(Child(Child(root, "target"), "permissions")),
            };
        }

        if (type == PoolType.IscsiDirect && source.InitiatorIqn is null)
            throw StorageException.Unsupported("missing initiator IQN");

        VolumeAllocationRefresh? refresh = ChildAttribute(Child(root, "refresh"), "volume", "allocation") switch
        {
            null => null,
            "default" => VolumeAllocationRefresh.Default,
            "capacity" => VolumeAllocationRefresh.Capacity,
            var other => throw StorageException.Unsupported($"unknown storage pool volume refresh allocation type {other}"),
        };

        var def = new PoolDefinition
        {
            Type = type,
            Name = name,
            Uuid = uuid,
            Cow = cow,
            Source = source,
            Target = target,
            RefreshVolumeAllocation = refresh,
            MountOptions = info.Namespace == PoolXmlNamespace.Fs ? PoolNamespaceXml.ParseMountOptions(root) : [],
            RbdConfigOptions = info.Namespace == PoolXmlNamespace.Rbd ? PoolNamespaceXml.ParseRbdOptions(root) : [],
        };

        if (options.IncludeRuntimeData)
            def = def with
            {
                Capacity = ParseSize(root, "capacity"),
                Allocation = ParseSize(root, "allocation"),
                Available = ParseSize(root, "available"),
            };
        return def;
    }

    /// <summary>virStorageDefParsePerms: octal mode ≤ 0777, owner/group 32-bit ids or -1 (= unset), label.</summary>
    internal static Permissions ParsePermissions(XElement? node)
    {
        if (node is null) return new Permissions();
        int? mode = null;
        if (ChildText(node, "mode") is { } modeText)
        {
            if (!TryParseOctal(modeText, out int m) || (m & ~0x1FF) != 0)
                throw StorageException.Xml("malformed octal mode");
            mode = m;
        }
        return new Permissions
        {
            Mode = mode,
            Owner = ParseId(node, "owner"),
            Group = ParseId(node, "group"),
            Label = ChildText(node, "label"),
        };
    }

    private static long? ParseId(XElement node, string name)
    {
        var el = Child(node, name);
        if (el is null) return null;
        // XPath number(): surrounding blanks allowed, a fraction is truncated, anything else is NaN.
        if (!double.TryParse(el.Value.Trim(), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint,
                CultureInfo.InvariantCulture, out double number) || el.Value.Trim().Length == 0)
            throw StorageException.Xml($"malformed {name} element");
        long value = (long)Math.Truncate(number);
        if (value == -1) return null;
        if (value < 0 || value > uint.MaxValue)
            throw StorageException.Xml($"malformed {name} element");
        return value;
    }

    /// <summary>strtol base 8 over the whole string: optional blanks and sign, then octal digits.</summary>
    private static bool TryParseOctal(string text, out int value)
    {
        value = 0;
        string s = text.TrimStart();
        bool negative = false;
        if (s.Length > 0 && (s[0] == '+' || s[0] == '-')) { negative = s[0] == '-'; s = s[1..]; }
        if (s.Length == 0) return false;
        long v = 0;
        foreach (char c in s)
        {
            if (c is < '0' or > '7') return false;
            v = v * 8 + (c - '0');
            if (v > int.MaxValue) return false;
        }
        value = (int)(negative ? -v : v);
        return true;
    }

    /// <summary>Sizes as the volume parser reads them (digits, optional unit attribute, at most LLONG_MAX).</summary>
    private static ulong ParseSize(XElement root, string name)
    {
        string? text = ChildText(root, name);
        if (text is null) return 0;
        string unit = Child(root, name)!.Attribute("unit")?.Value ?? "";
        string digits = text.Trim();
        if (digits.Length == 0 || !digits.All(char.IsAsciiDigit) ||
            !ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out ulong value))
            throw StorageException.Xml($"malformed {name} element");
        var scale = ScaledInteger.UnitMultiplier(unit) ?? throw StorageException.InvalidArg($"unknown suffix '{unit}'");
        if (!ScaledInteger.TryScale(value, scale, long.MaxValue, out ulong bytes))
            throw StorageException.Xml($"malformed {name} element");
        return bytes;
    }
}
