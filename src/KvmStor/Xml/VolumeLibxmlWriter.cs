using System.Text;
using System.Xml.Linq;

namespace KvmStor.Xml;

/// <summary>
/// Serialises an element tree the way libxml2's node dump does (virsh re-serialises documents it edited this
/// way): attributes in double quotes, text nodes as they are, &lt;x/&gt; for elements without children.
/// </summary>
internal static class VolumeLibxmlWriter
{
    public static string Write(XElement element)
    {
        var sb = new StringBuilder();
        WriteElement(sb, element);
        return sb.ToString();
    }

    private static void WriteElement(StringBuilder sb, XElement e)
    {
        sb.Append('<').Append(e.Name.LocalName);
        foreach (var a in e.Attributes())
            sb.Append(' ').Append(a.Name.LocalName).Append("=\"").Append(EscapeAttribute(a.Value)).Append('"');
        if (!e.Nodes().Any())
        {
            sb.Append("/>");
            return;
        }
        sb.Append('>');
        foreach (var node in e.Nodes())
        {
            switch (node)
            {
                case XElement child: WriteElement(sb, child); break;
                case XCData cdata: sb.Append("<![CDATA[").Append(cdata.Value).Append("]]>"); break;
                case XText text: sb.Append(EscapeText(text.Value)); break;
                case XComment comment: sb.Append("<!--").Append(comment.Value).Append("-->"); break;
            }
        }
        sb.Append("</").Append(e.Name.LocalName).Append('>');
    }

    private static string EscapeText(string s) =>
        s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\r", "&#13;");

    private static string EscapeAttribute(string s) =>
        s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;")
         .Replace("\n", "&#10;").Replace("\r", "&#13;").Replace("\t", "&#9;");
}
