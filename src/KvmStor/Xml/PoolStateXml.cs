using System.Text;
using KvmStor.Model;

namespace KvmStor.Xml;

/// <summary>
/// The two on-disk forms of a pool: the persistent config file (the inactive definition) and the runtime status
/// file (&lt;poolstate&gt; wrapping the live definition). Both start with libvirt's auto-generated warning comment,
/// naming kvmstor's edit command instead of virsh's.
/// </summary>
public static class PoolStateXml
{
    public const string DefaultTool = "kvmstor";

    /// <summary>Characters that would make the name unsafe to paste into a shell (or would break the comment).</summary>
    private const string ShellUnsafe = "\r\t\n !\"#$&'()*;<>?[\\]^`{|}~";

    /// <summary>
    /// The config file text: warning comment, blank line, the definition with sizes zeroed.
    /// <paramref name="tool"/> is the command named in the comment ("virsh" reproduces libvirt's file exactly).
    /// </summary>
    public static string FormatConfig(PoolDefinition def, string tool = DefaultTool) =>
        WarningComment(def, tool) + PoolXml.Format(def.WithoutRuntimeData());

    /// <summary>The status file text: warning comment, blank line, &lt;poolstate&gt; with the live pool indented by 2.</summary>
    public static string FormatStatus(PoolDefinition def, string tool = DefaultTool) =>
        WarningComment(def, tool) + "<poolstate>\n" + PoolXml.Format(def, indentLevel: 1) + "</poolstate>\n";

    /// <summary>Reads a config file (the comment is ignored) with libvirt's definition rules.</summary>
    public static PoolDefinition ParseConfig(string xml) => PoolXml.Parse(xml);

    /// <summary>Reads a status file, keeping the sizes and free extents it recorded.</summary>
    public static PoolDefinition ParseStatus(string xml)
    {
        var doc = SafeXml.Parse(xml, PoolXml.DocumentName);
        var pool = doc.Root?.Name.LocalName == "pool" ? doc.Root : doc.Root?.Element("pool");
        if (pool is null)
            throw StorageException.Internal("Could not find any 'pool' element in state file");
        return PoolXmlParser.Parse(pool, PoolParseOptions.Runtime);
    }

    /// <summary>
    /// libvirt's virXMLEmitWarning. The edit line names the pool when its name is shell-safe, else its UUID.
    /// </summary>
    public static string WarningComment(PoolDefinition def, string tool = DefaultTool)
    {
        string? target = PickShellSafe(def.Name) ?? PickShellSafe(def.Uuid.ToString("D"));
        var sb = new StringBuilder();
        sb.Append("<!--\n");
        sb.Append("WARNING: THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE\n");
        sb.Append("OVERWRITTEN AND LOST. Changes to this xml configuration should be made using:\n");
        sb.Append("  ").Append(tool).Append(" pool-edit");
        if (target is not null) sb.Append(' ').Append(target);
        sb.Append('\n');
        sb.Append("or other application using the libvirt API.\n");
        sb.Append("-->\n\n");
        return sb.ToString();
    }

    private static string? PickShellSafe(string s) =>
        s.AsSpan().IndexOfAny(ShellUnsafe) < 0 && !s.Contains("--", StringComparison.Ordinal) ? s : null;
}
