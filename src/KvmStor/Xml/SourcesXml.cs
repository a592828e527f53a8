using KvmStor.Model;

namespace KvmStor.Xml;

/// <summary>
/// find-storage-pool-sources documents: the &lt;source&gt; spec a user hands in (srcSpec), and the
/// &lt;sources&gt; list of what discovery found, each entry printed by the pool source formatter.
/// </summary>
public static class SourcesXml
{
    public const string SpecDocumentName = "storage_source_specification";

    /// <summary>Reads a &lt;source&gt; spec for a pool type (format defaults filled in as libvirt does).</summary>
    public static PoolSource ParseSourceSpec(string xml, PoolType type)
    {
        var doc = SafeXml.Parse(xml, SpecDocumentName);
        var root = doc.Root!;
        if (root.Name.LocalName != "source" || root.Name.Namespace != System.Xml.Linq.XNamespace.None)
            throw StorageException.Xml($"expecting root element of 'source', found '{root.Name.LocalName}'");
        return PoolSourceXml.Parse(root, type);
    }

    /// <summary>The &lt;sources&gt; document as libvirt's FindPoolSources returns it, ending in "&lt;/sources&gt;\n".</summary>
    public static string Format(PoolType type, IEnumerable<PoolSource> sources)
    {
        var x = new XmlOut();
        x.Open("sources");
        foreach (var source in sources)
            PoolSourceXml.Format(x, source, type);
        x.Close("sources");
        return x.ToString();
    }
}
