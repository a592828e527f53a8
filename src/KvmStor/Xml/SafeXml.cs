using System.Xml;
using System.Xml.Linq;

namespace KvmStor.Xml;

/// <summary>
/// Parses untrusted XML: any DOCTYPE is refused (never expanded, no external entities), nesting beyond libxml2's
/// limit too (<see cref="XmlShapeLimits"/>), before a tree is built; errors come out as one line naming the document
/// and the line, as libvirt's "(storage_pool_definition):2: …".
/// </summary>
public static class SafeXml
{
    /// <param name="preserveWhitespace">Keep whitespace and processing instructions, for documents that are edited and
    /// written back (domain definitions) rather than re-formatted.</param>
    public static XDocument Parse(string xml, string documentName, bool preserveWhitespace = false)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            IgnoreProcessingInstructions = !preserveWhitespace,
        };
        try
        {
            XmlShapeLimits.Check(xml, settings, documentName);
            using var reader = XmlReader.Create(new StringReader(xml), settings);
            return XDocument.Load(reader, preserveWhitespace ? LoadOptions.PreserveWhitespace | LoadOptions.SetLineInfo : LoadOptions.SetLineInfo);
        }
        catch (XmlException e) when (e.Message.Contains("DTD", StringComparison.Ordinal))
        {
            throw StorageException.Xml($"({documentName}):{Math.Max(1, e.LineNumber)}: DOCTYPE and entity declarations are not allowed");
        }
        catch (XmlException e)
        {
            string msg = e.Message;
            int cut = msg.IndexOf(" Line ", StringComparison.Ordinal);
            if (cut > 0) msg = msg[..cut];
            throw new StorageException(ErrorCode.None, $"({documentName}):{e.LineNumber}: {msg.TrimEnd('.')}");
        }
    }
}
