using KvmStor.Model;

namespace KvmStor.Xml;

/// <summary>
/// The &lt;storagepoolCapabilities&gt; document of pool-capabilities: one entry per row of <see cref="PoolTypeInfo"/>,
/// supported when the registry has a backend for the type.
/// </summary>
public static class PoolCapabilitiesXml
{
    /// <summary>
    /// The document ending in "&lt;/storagepoolCapabilities&gt;\n\n": virsh 9.0 shows two blank lines after it
    /// (one more than after other XML), so the extra newline lives here and a CLI that prints every XML result
    /// followed by "\n", as virsh does, reproduces virsh's output byte for byte.
    /// </summary>
    public static string Format(Func<PoolType, bool> supported)
    {
        var x = new XmlOut();
        x.Open("storagepoolCapabilities");
        foreach (var info in PoolTypeInfo.All)
        {
            x.Open("pool", ("type", info.Type.ToXmlName()), ("supported", supported(info.Type) ? "yes" : "no"));
            if (info.HasSourceFormats)
            {
                x.Open("poolOptions");
                WriteFormats(x, info.DefaultSourceFormat!, "sourceFormatType", info.SourceFormats);
                x.Close("poolOptions");
            }
            if (info.HasVolumeFormats)
            {
                x.Open("volOptions");
                WriteFormats(x, info.VolumeFormats.DefaultFormat!, "targetFormatType", info.VolumeFormats.CapabilityValues);
                x.Close("volOptions");
            }
            x.Close("pool");
        }
        x.Close("storagepoolCapabilities");
        return x + "\n";
    }

    private static void WriteFormats(XmlOut x, string defaultFormat, string enumName, IReadOnlyList<string> values)
    {
        x.Empty("defaultFormat", ("type", defaultFormat));
        x.Open("enum", ("name", enumName));
        foreach (var v in values) x.Text("value", v);
        x.Close("enum");
    }
}
