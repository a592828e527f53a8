using System.Collections;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using System.Xml.XPath;
using KvmStor.Xml;

namespace KvmStor.Cli.Output;

/// <summary>
/// dumpxml --xpath: evaluates the expression on the document and prints each selected node as virsh does
/// (libxml's serialisation: double-quoted attributes, two-space indentation, blank text dropped), one per line,
/// or all of them inside one &lt;nodes&gt; element with --wrap.
/// </summary>
public static class XPathPrinter
{
    public static string Print(string xml, string xpath, bool wrap, string documentName)
    {
        var document = SafeXml.Parse(xml, documentName);
        DropBlankText(document);
        IEnumerable nodes;
        try
        {
            nodes = document.XPathEvaluate(xpath) as IEnumerable
                ?? throw StorageException.Internal($"Incorrect xpath '{xpath}'");
            if (nodes is string) throw StorageException.Internal($"Incorrect xpath '{xpath}'");
        }
        catch (XPathException)
        {
            throw StorageException.Internal($"Incorrect xpath '{xpath}'");
        }

        var text = new StringBuilder();
        if (wrap)
        {
            var root = new XElement("nodes");
            foreach (var node in nodes)
            {
                // An attribute copied under the wrapper becomes the wrapper's attribute, as in libxml.
                if (node is XAttribute attribute) root.SetAttributeValue(attribute.Name, attribute.Value);
                else root.Add(node);
            }
            Write(text, root, 0, format: true);
            text.Append('\n');
        }
        else
        {
            foreach (var node in nodes)
            {
                Write(text, node, 0, format: true);
                text.Append('\n');
            }
        }
        return text.ToString();
    }

    /// <summary>
    /// virsh parses with libxml's "no blanks": whitespace between elements goes, but whitespace that is an
    /// element's only content stays (so an empty &lt;source&gt; written over two lines prints over two lines).
    /// </summary>
    private static void DropBlankText(XDocument document)
    {
        var blanks = document.DescendantNodes().OfType<XText>()
            .Where(t => t is not XCData && string.IsNullOrWhiteSpace(t.Value) && t.Parent is { } parent && parent.Nodes().Skip(1).Any())
            .ToList();
        foreach (var blank in blanks) blank.Remove();
    }

    private static void Write(StringBuilder text, object node, int level, bool format)
    {
        switch (node)
        {
            case XElement element: WriteElement(text, element, level, format); break;
            case XAttribute attribute: text.Append(' ').Append(attribute.Name.LocalName).Append("=\"").Append(EscapeAttribute(attribute.Value)).Append('"'); break;
            case XCData cdata: text.Append("<![CDATA[").Append(cdata.Value).Append("]]>"); break;
            case XText textNode: text.Append(EscapeText(textNode.Value)); break;
            case XComment comment: text.Append("<!--").Append(comment.Value).Append("-->"); break;
            case XProcessingInstruction pi: text.Append("<?").Append(pi.Target).Append(' ').Append(pi.Data).Append("?>"); break;
            case XDocument document when document.Root is not null: WriteElement(text, document.Root, level, format); break;
        }
    }

    private static void WriteElement(StringBuilder text, XElement element, int level, bool format)
    {
        text.Append('<').Append(QualifiedName(element));
        foreach (var attribute in element.Attributes())
            text.Append(' ').Append(AttributeName(attribute)).Append("=\"").Append(EscapeAttribute(attribute.Value)).Append('"');
        if (!element.Nodes().Any())
        {
            text.Append("/>");
            return;
        }
        text.Append('>');
        // libxml indents children only when none of them is text.
        bool indent = format && !element.Nodes().OfType<XText>().Any();
        foreach (var child in element.Nodes())
        {
            if (indent) text.Append('\n').Append(' ', 2 * (level + 1));
            Write(text, child, level + 1, indent);
        }
        if (indent) text.Append('\n').Append(' ', 2 * level);
        text.Append("</").Append(QualifiedName(element)).Append('>');
    }

    private static string QualifiedName(XElement element)
    {
        string? prefix = element.GetPrefixOfNamespace(element.Name.Namespace);
        return string.IsNullOrEmpty(prefix) ? element.Name.LocalName : prefix + ":" + element.Name.LocalName;
    }

    private static string AttributeName(XAttribute attribute)
    {
        if (attribute.IsNamespaceDeclaration)
            return attribute.Name.Namespace == XNamespace.None ? "xmlns" : "xmlns:" + attribute.Name.LocalName;
        if (attribute.Name.Namespace == XNamespace.None) return attribute.Name.LocalName;
        string? prefix = attribute.Parent?.GetPrefixOfNamespace(attribute.Name.Namespace);
        return prefix is null ? attribute.Name.LocalName : prefix + ":" + attribute.Name.LocalName;
    }

    private static string EscapeText(string value) =>
        value.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\r", "&#13;");

    private static string EscapeAttribute(string value) =>
        value.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;")
            .Replace("\n", "&#10;").Replace("\r", "&#13;").Replace("\t", "&#9;");
}
