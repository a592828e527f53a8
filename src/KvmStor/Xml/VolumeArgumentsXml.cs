using System.Text;
using System.Xml;
using System.Xml.Linq;
using KvmStor.Model;

namespace KvmStor.Xml;

/// <summary>
/// The volume documents virsh itself writes: vol-create-as's XML built from its arguments, and vol-clone's
/// copy of the source volume's dumpxml with a new name (what --print-xml shows).
/// </summary>
public static class VolumeArgumentsXml
{
    /// <summary>
    /// vol-create-as: the text virsh sends (and --print-xml prints), values written as given — virsh does not
    /// escape them. Ends with "&lt;/volume&gt;\n".
    /// </summary>
    public static string CreateAs(string name, ulong capacity, ulong? allocation = null, string? format = null,
        string? backingPath = null, string? backingFormat = null)
    {
        var sb = new StringBuilder();
        sb.Append("<volume>\n");
        sb.Append("  <name>").Append(name).Append("</name>\n");
        sb.Append("  <capacity>").Append(capacity).Append("</capacity>\n");
        if (allocation is ulong a)
            sb.Append("  <allocation>").Append(a).Append("</allocation>\n");
        if (format is not null)
            sb.Append("  <target>\n    <format type='").Append(format).Append("'/>\n  </target>\n");
        if (backingPath is not null)
        {
            sb.Append("  <backingStore>\n    <path>").Append(backingPath).Append("</path>\n");
            if (backingFormat is not null)
                sb.Append("    <format type='").Append(backingFormat).Append("'/>\n");
            sb.Append("  </backingStore>\n");
        }
        sb.Append("</volume>\n");
        return sb.ToString();
    }

    /// <summary>
    /// vol-clone: the source volume's XML with /volume/name replaced by <paramref name="newName"/>; everything
    /// else (key, target path) is kept. Re-serialised the way libxml2 dumps a node: double-quoted attributes,
    /// original whitespace, no XML declaration and no trailing newline (exactly what --print-xml prints).
    /// </summary>
    public static string Clone(string sourceXml, string newName)
    {
        SafeXml.Parse(sourceXml, VolumeXml.DocumentName); // refuses DTDs, reports malformed XML
        // Read again keeping whitespace text nodes: libxml2 reproduces the source layout, it does not re-indent.
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null };
        using var reader = XmlReader.Create(new StringReader(sourceXml), settings);
        var doc = XDocument.Load(reader, LoadOptions.PreserveWhitespace);
        var root = doc.Root!;
        var nameElement = root.Element("name");
        if (nameElement is not null)
            nameElement.Value = newName;
        return VolumeLibxmlWriter.Write(root);
    }
}
