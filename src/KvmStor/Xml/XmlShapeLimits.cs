using System.Xml;

namespace KvmStor.Xml;

/// <summary>
/// Limits on the shape of untrusted XML, checked in one streaming pass before any tree is built: building an
/// XDocument is quadratic in nesting depth (200,000 levels took minutes) and deep trees overflow the stack of
/// recursive code, and writing one back is quadratic in the namespace declarations in scope.
/// </summary>
internal static class XmlShapeLimits
{
    /// <summary>
    /// libxml2's xmlParserMaxDepth, which libvirt does not lift: an element with more than 256 open ancestors is
    /// refused, so 257 levels parse and 258 do not (checked against libvirt 9.0).
    /// </summary>
    public const int MaxDepth = 256;

    /// <summary>Far beyond any real definition (each application's metadata uses one namespace).</summary>
    public const int MaxNamespaceDeclarations = 1000;

    private const string XmlnsNamespace = "http://www.w3.org/2000/xmlns/";

    /// <summary>Reads <paramref name="xml"/> through once; throws the first limit it crosses, or the parser's own error.</summary>
    public static void Check(string xml, XmlReaderSettings settings, string documentName)
    {
        using var reader = XmlReader.Create(new StringReader(xml), settings);
        var lines = (IXmlLineInfo)reader;
        int declarations = 0;
        while (reader.Read())
        {
            if (reader.NodeType != XmlNodeType.Element) continue;
            if (reader.Depth > MaxDepth)
                throw new StorageException(ErrorCode.None,
                    $"({documentName}):{lines.LineNumber}: Excessive depth in document: {MaxDepth} use XML_PARSE_HUGE option");
            for (bool more = reader.MoveToFirstAttribute(); more; more = reader.MoveToNextAttribute())
                if (reader.NamespaceURI == XmlnsNamespace && ++declarations > MaxNamespaceDeclarations)
                    throw new StorageException(ErrorCode.None,
                        $"({documentName}):{lines.LineNumber}: more than {MaxNamespaceDeclarations} namespace declarations in document");
            reader.MoveToElement();
        }
    }
}
