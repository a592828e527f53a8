using System.Xml.Linq;
using KvmStor.Model;

namespace KvmStor.Xml;

/// <summary>libvirt-compatible volume XML: reading (this file) and writing (VolumeXml.Format.cs).</summary>
public static partial class VolumeXml
{
    public const string DocumentName = "storage_volume_definition";

    /// <summary>
    /// Reads a volume document for a pool of <paramref name="poolType"/> with libvirt's rules and error texts.
    /// Output-only parts (&lt;source&gt;, &lt;physical&gt;, &lt;timestamps&gt;) are ignored unless
    /// <see cref="VolumeParseOptions.KeepOutputOnlyElements"/> is given.
    /// </summary>
    public static VolumeDefinition Parse(string xml, PoolType poolType, VolumeParseOptions options = VolumeParseOptions.None)
    {
        var root = SafeXml.Parse(xml, DocumentName).Root!;
        if (root.Name != "volume")
            throw StorageException.Xml($"expecting root element of 'volume', not '{root.Name.LocalName}'");
        var rule = VolumeFormats.RuleFor(poolType);
        bool keepOutput = options.HasFlag(VolumeParseOptions.KeepOutputOnlyElements);

        string name = XmlText.Of(root.Element("name"))
            ?? throw StorageException.Xml("missing volume name element");
        string? key = XmlText.Of(root.Element("key"));
        VolumeType type = ParseType(root, poolType);

        VolumeTarget? backing = ParseBackingStore(root.Element("backingStore"), rule, keepOutput);

        ulong capacity = 0;
        bool hasCapacity = XmlText.Of(root.Element("capacity")) is not null;
        if (hasCapacity)
            capacity = ParseSize(root.Element("capacity")!);
        else if (!options.HasFlag(VolumeParseOptions.NoCapacity)
                 && !(options.HasFlag(VolumeParseOptions.OptionalCapacity) && backing is not null))
            throw StorageException.Xml("missing capacity element");

        bool hasAllocation = XmlText.Of(root.Element("allocation")) is not null;
        ulong allocation = hasAllocation ? ParseSize(root.Element("allocation")!) : capacity;

        var definition = new VolumeDefinition
        {
            Type = type,
            Name = name,
            Key = key,
            Capacity = capacity,
            HasCapacity = hasCapacity,
            Allocation = allocation,
            HasAllocation = hasAllocation,
            Target = ParseTarget(root.Element("target"), rule, keepOutput),
            BackingStore = backing,
        };
        if (keepOutput)
            definition = definition with
            {
                SourceDevices = ParseSourceExtents(root.Element("source")),
                Physical = root.Element("physical") is { } physical ? ParseSize(physical) : null,
            };
        return definition;
    }

    /// <summary>
    /// The type attribute; when absent, the type the pool's volumes always have (block for LVM, partitions and
    /// LUNs, network for network pools, file otherwise). Backends set the same type when creating.
    /// </summary>
    private static VolumeType ParseType(XElement root, PoolType poolType)
    {
        string? text = XmlText.OfAttribute(root, "type");
        if (text is null) return PoolTypeInfo.For(poolType).NewVolumeType;
        if (!VolumeTypeNames.TryParse(text, out var type))
            throw StorageException.Unsupported($"unknown volume type '{text}'");
        return type;
    }


    /// <summary>A &lt;backingStore&gt; counts only when it has a path (libvirt ignores it otherwise).</summary>
    private static VolumeTarget? ParseBackingStore(XElement? element, VolumeFormatRule rule, bool keepOutput)
    {
        string? path = XmlText.Of(element?.Element("path"));
        if (element is null || path is null) return null;
        return new VolumeTarget
        {
            Path = path,
            Format = ParseFormat(element, rule),
            Permissions = VolumePermissionsXml.Parse(element.Element("permissions")),
            Timestamps = keepOutput ? ParseTimestamps(element.Element("timestamps")) : null,
        };
    }

    private static VolumeTarget ParseTarget(XElement? target, VolumeFormatRule rule, bool keepOutput)
    {
        var result = new VolumeTarget
        {
            Path = XmlText.Of(target?.Element("path")),
            Format = ParseFormat(target, rule),
            Permissions = VolumePermissionsXml.Parse(target?.Element("permissions")),
            Timestamps = keepOutput ? ParseTimestamps(target?.Element("timestamps")) : null,
        };
        if (target is null) return result;

        if (target.Element("encryption") is { } encryption)
            result = result with { Encryption = VolumeEncryptionXml.Parse(encryption) };

        string? compat = XmlText.Of(target.Element("compat"));
        if (compat is not null && !IsCompatLevel(compat))
            throw StorageException.Xml("forbidden characters in 'compat' attribute");

        ulong? clusterSize = null;
        if (target.Element("clusterSize") is { } cluster && cluster.Value.Length > 0)
            clusterSize = ParseClusterSize(cluster);

        IReadOnlyList<string>? features = null;
        if (target.Element("features") is { } featuresElement)
        {
            compat ??= "1.1"; // asking for qcow2 features implies the v3 format
            var names = new HashSet<string>();
            foreach (var feature in featuresElement.Elements())
            {
                string featureName = feature.Name.LocalName;
                if (!VolumeFormats.Qcow2Features.Contains(featureName))
                    throw StorageException.Unsupported($"unsupported feature {featureName}");
                names.Add(featureName);
            }
            features = VolumeFormats.Qcow2Features.Where(names.Contains).ToList();
        }

        return result with
        {
            Compat = compat,
            NoCow = target.Element("nocow") is not null,
            ClusterSize = clusterSize,
            Features = features,
        };
    }

    private static string? ParseFormat(XElement? parent, VolumeFormatRule rule)
    {
        if (!rule.HasFormats) return null;
        string? text = XmlText.OfAttribute(parent?.Element("format"), "type");
        if (text is null) return rule.DefaultFormat;
        if (!rule.Accepts(text))
            throw StorageException.Unsupported($"unknown volume format type {text}");
        return text;
    }

    /// <summary>"N.M" with two unsigned decimal numbers.</summary>
    private static bool IsCompatLevel(string compat)
    {
        int dot = compat.IndexOf('.');
        if (dot < 0) return false;
        return IsUnsignedInt(compat[..dot]) && IsUnsignedInt(compat[(dot + 1)..]);

        static bool IsUnsignedInt(string part) => VolumeXmlValues.TryParseUnsigned(part, out ulong v) && v <= uint.MaxValue;
    }

    /// <summary>Capacity and allocation: unsigned digits, scaled by the unit, at most LLONG_MAX bytes.</summary>
    private static ulong ParseSize(XElement element)
    {
        if (!VolumeXmlValues.TryParseUnsigned(element.Value, out ulong value))
            throw StorageException.Xml("malformed capacity element");
        return Scale(value, XmlText.OfAttribute(element, "unit"), long.MaxValue);
    }

    private static ulong ParseClusterSize(XElement element)
    {
        if (!VolumeXmlValues.TryParseUnsigned(element.Value, out ulong value))
            throw StorageException.Xml("could not parse element ./target/clusterSize");
        return Scale(value, XmlText.OfAttribute(element, "unit"), ulong.MaxValue);
    }

    /// <summary>virScaleInteger: unknown suffix and overflow are reported with libvirt's texts.</summary>
    private static ulong Scale(ulong value, string? unit, ulong limit)
    {
        ulong scale = ScaledInteger.UnitMultiplier(unit ?? "")
            ?? throw StorageException.InvalidArg($"unknown suffix '{unit}'");
        if (!ScaledInteger.TryScale(value, scale, limit, out ulong bytes))
            // libvirt reports VIR_ERR_OVERFLOW, whose prefix is "numerical overflow: ".
            throw new StorageException(ErrorCode.None, $"numerical overflow: value too large: {value}{unit}");
        return bytes;
    }

    private static IReadOnlyList<VolumeSourceDevice> ParseSourceExtents(XElement? source)
    {
        if (source is null) return [];
        return source.Elements("device")
            .Where(d => d.Attribute("path") is not null)
            .Select(d => new VolumeSourceDevice(d.Attribute("path")!.Value,
                d.Elements("extent").Select(e => new VolumeExtent(
                    ParseExtentBound(e, "start"), ParseExtentBound(e, "end"))).ToList()))
            .ToList();
    }

    private static ulong ParseExtentBound(XElement extent, string name) =>
        VolumeXmlValues.TryParseUnsigned(extent.Attribute(name)?.Value ?? "", out ulong v)
            ? v : throw StorageException.Xml($"malformed extent {name}");

    private static VolumeTimestamps? ParseTimestamps(XElement? timestamps) =>
        timestamps is null
            ? null
            : new VolumeTimestamps(
                XmlText.Of(timestamps.Element("atime")),
                XmlText.Of(timestamps.Element("mtime")),
                XmlText.Of(timestamps.Element("ctime")),
                XmlText.Of(timestamps.Element("btime")));
}
