using System.Globalization;
using System.Xml.Linq;

namespace KvmStor.Xml;

/// <summary>
/// Reading helpers with libvirt's semantics: an XPath string() that is empty counts as absent, attribute
/// properties keep empty strings, enum and number attributes fail with libvirt's texts.
/// </summary>
internal static class PoolXmlReading
{
    /// <summary>First child element named <paramref name="name"/> (no namespace), as "./name" selects.</summary>
    public static XElement? Child(XElement? parent, string name) => parent?.Element(XName.Get(name));

    public static IEnumerable<XElement> Children(XElement? parent, string name) =>
        parent?.Elements(XName.Get(name)) ?? [];

    /// <summary>virXPathString("string(./name)"): the text of the first such child; null when absent or empty.</summary>
    public static string? ChildText(XElement? parent, string name) => XmlText.Of(Child(parent, name));

    /// <summary>virXPathString("string(./el/@attr)"): null when absent or empty.</summary>
    public static string? ChildAttribute(XElement? parent, string element, string attribute) =>
        XmlText.OfAttribute(Child(parent, element), attribute);

    /// <summary>virXMLPropString: the attribute as written (an empty value stays empty); null when absent.</summary>
    public static string? Attribute(XElement? element, string name) => element?.Attribute(name)?.Value;

    public static StorageException InvalidAttribute(string attribute, string element, string value) =>
        StorageException.Xml($"Invalid value for attribute '{attribute}' in element '{element}': '{value}'.");

    /// <summary>virXMLPropTristateBool: absent → null; yes/no; anything else is an error.</summary>
    public static bool? YesNoAttribute(XElement? element, string name)
    {
        string? value = Attribute(element, name);
        return value switch
        {
            null => null,
            "yes" => true,
            "no" => false,
            _ => throw InvalidAttribute(name, element!.Name.LocalName, value),
        };
    }

    /// <summary>virXMLPropInt base 10: absent → null; 0 means "not set" for libvirt's callers, handled by them.</summary>
    public static int? IntAttribute(XElement? element, string name)
    {
        string? value = Attribute(element, name);
        if (value is null) return null;
        if (!int.TryParse(value, NumberStyles.AllowLeadingSign | NumberStyles.AllowLeadingWhite, CultureInfo.InvariantCulture, out int n))
            throw StorageException.Xml(
                $"Invalid value for attribute '{name}' in element '{element!.Name.LocalName}': '{value}'. Expected integer value");
        return n;
    }

    /// <summary>
    /// libvirt's virUUIDParse: leading blanks, 32 hex digits with '-' allowed between byte pairs, trailing blanks.
    /// </summary>
    public static bool TryParseUuid(string text, out Guid uuid)
    {
        uuid = Guid.Empty;
        int i = 0;
        while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
        Span<char> hex = stackalloc char[32];
        for (int b = 0; b < 16; b++)
        {
            while (i < text.Length && text[i] == '-') i++;
            if (i + 1 >= text.Length || !char.IsAsciiHexDigit(text[i]) || !char.IsAsciiHexDigit(text[i + 1])) return false;
            hex[2 * b] = text[i];
            hex[2 * b + 1] = text[i + 1];
            i += 2;
        }
        while (i < text.Length)
            if (!char.IsWhiteSpace(text[i++])) return false;
        uuid = Guid.ParseExact(hex, "N");
        return true;
    }

    /// <summary>
    /// libvirt's virFileSanitizePath: three or more leading slashes become one (exactly two are kept, as POSIX
    /// allows), repeated slashes collapse, a trailing slash is dropped (except for "/" itself).
    /// </summary>
    public static string SanitizePath(string path)
    {
        int lead = 0;
        while (lead < path.Length && path[lead] == '/') lead++;
        string rest = path[lead..];
        var sb = new System.Text.StringBuilder(path.Length);
        sb.Append('/', lead switch { 0 => 0, 2 => 2, _ => 1 });
        for (int i = 0; i < rest.Length; i++)
        {
            if (rest[i] == '/' && i + 1 < rest.Length && rest[i + 1] == '/') continue;
            sb.Append(rest[i]);
        }
        if (sb.Length > 1 && sb[^1] == '/') sb.Length--;
        return sb.ToString();
    }
}
