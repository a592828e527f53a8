using System.Xml.Linq;

namespace KvmStor.Xml;

/// <summary>
/// libvirt's rule for text its parsers read (virXPathString, and the attributes it checks for ""): empty counts as
/// absent. Written once here for the pool and volume readers alike.
/// </summary>
internal static class XmlText
{
    public static string? AbsentIfEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;

    /// <summary>string(./x): the element's text; null when the element is absent or its text empty.</summary>
    public static string? Of(XElement? element) => AbsentIfEmpty(element?.Value);

    /// <summary>An attribute's value; null when absent or empty.</summary>
    public static string? OfAttribute(XElement? element, string name) => AbsentIfEmpty(element?.Attribute(name)?.Value);
}
