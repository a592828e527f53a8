using System.Text;
using System.Xml.Linq;

namespace KvmStor.Guests;

/// <summary>
/// Writes a domain document back as text without reformatting it: whitespace, comments, namespace declarations and
/// attribute order come out as they were read. Attribute values use single quotes, as libvirt writes them, so a file
/// libvirt wrote round-trips byte for byte.
/// </summary>
internal static class DomainXmlWriter
{
    public static string Write(XDocument document)
    {
        var text = new StringBuilder();
        if (document.Declaration is { } declaration)
            text.Append(declaration).Append(LeadingNewlineAfterDeclaration(document));
        foreach (var node in document.Nodes())
            WriteNode(text, node);
        return text.ToString();
    }

    // XDocument drops the whitespace between the declaration and the root; keep one newline as every writer does.
    private static string LeadingNewlineAfterDeclaration(XDocument document) =>
        document.FirstNode is XText ? "" : "\n";

    private static void WriteNode(StringBuilder text, XNode node)
    {
        switch (node)
        {
            case XElement element: WriteElement(text, element); break;
            case XCData cdata: text.Append("<![CDATA[").Append(cdata.Value).Append("]]>"); break;
            case XText plain: text.Append(EscapeText(plain.Value)); break;
            case XComment comment: text.Append("<!--").Append(comment.Value).Append("-->"); break;
            case XProcessingInstruction pi: text.Append("<?").Append(pi.Target).Append(' ').Append(pi.Data).Append("?>"); break;
            default: text.Append(node); break;
        }
        if (node.Parent is null && node is not XText && node.NextNode is not null and not XText)
            text.Append('\n');
    }

    private static void WriteElement(StringBuilder text, XElement element)
    {
        string name = QualifiedName(element);
        text.Append('<').Append(name);
        foreach (var attribute in element.Attributes())
            text.Append(' ').Append(QualifiedName(attribute)).Append("='").Append(EscapeAttribute(attribute.Value)).Append('\'');
        if (element.IsEmpty)
        {
            text.Append("/>");
            return;
        }
        text.Append('>');
        foreach (var child in element.Nodes())
            WriteNode(text, child);
        text.Append("</").Append(name).Append('>');
    }

    private static string QualifiedName(XElement element)
    {
        var ns = element.Name.Namespace;
        if (ns == XNamespace.None || ns == element.GetDefaultNamespace()) return element.Name.LocalName;
        string? prefix = element.GetPrefixOfNamespace(ns);
        return prefix is null ? element.Name.LocalName : prefix + ":" + element.Name.LocalName;
    }

    private static string QualifiedName(XAttribute attribute)
    {
        if (attribute.IsNamespaceDeclaration)
            return attribute.Name.Namespace == XNamespace.None ? "xmlns" : "xmlns:" + attribute.Name.LocalName;
        var ns = attribute.Name.Namespace;
        if (ns == XNamespace.None) return attribute.Name.LocalName;
        if (ns == XNamespace.Xml) return "xml:" + attribute.Name.LocalName;
        string? prefix = attribute.Parent?.GetPrefixOfNamespace(ns);
        return prefix is null ? attribute.Name.LocalName : prefix + ":" + attribute.Name.LocalName;
    }

    private static string EscapeText(string value) =>
        value.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    private static string EscapeAttribute(string value) =>
        EscapeText(value).Replace("'", "&apos;").Replace("\"", "&quot;").Replace("\n", "&#10;").Replace("\t", "&#9;").Replace("\r", "&#13;");
}
