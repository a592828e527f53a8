using KvmStor.Model;

namespace KvmStor.Xml;

/// <summary>How much of a pool document to read.</summary>
public sealed record PoolParseOptions
{
    /// <summary>
    /// Also read capacity/allocation/available and disk free extents. libvirt's parser ignores these (they are
    /// output only), so definitions leave this off; status files and dumpxml round-trips turn it on.
    /// </summary>
    public bool IncludeRuntimeData { get; init; }

    public static PoolParseOptions Definition { get; } = new();
    public static PoolParseOptions Runtime { get; } = new() { IncludeRuntimeData = true };
}

/// <summary>libvirt-compatible pool XML: parse with libvirt's rules and error texts, format byte-identical to libvirt 9.0.</summary>
public static class PoolXml
{
    public const string DocumentName = "storage_pool_definition";

    /// <summary>Parses a &lt;pool&gt; document (as pool-define / pool-create read it).</summary>
    public static PoolDefinition Parse(string xml, PoolParseOptions? options = null)
    {
        var doc = SafeXml.Parse(xml, DocumentName);
        return PoolXmlParser.Parse(doc.Root!, options ?? PoolParseOptions.Definition);
    }

    /// <summary>
    /// The extra check pool-define makes (not pool-create): no newline in the name. libvirt reports it as a bare
    /// parser detail: "invalid char in name: 0x0a".
    /// </summary>
    public static void ValidateForDefine(PoolDefinition def)
    {
        int i = def.Name.IndexOf('\n');
        if (i >= 0)
            throw new StorageException(ErrorCode.None, $"invalid char in name: 0x{(int)def.Name[i]:x2}");
    }

    /// <summary>
    /// The pool document as libvirt's virStoragePoolDefFormat returns it, ending in "&lt;/pool&gt;\n".
    /// <paramref name="indentLevel"/> shifts every line by two spaces per level (the &lt;poolstate&gt; wrapper uses 1).
    /// </summary>
    public static string Format(PoolDefinition def, int indentLevel = 0)
    {
        var x = new XmlOut(indentLevel);
        PoolXmlFormatter.Write(x, def);
        return x.ToString();
    }
}
