using System.Globalization;
using System.Xml.Linq;
using KvmStor.Model;

namespace KvmStor.Xml;

/// <summary>&lt;permissions&gt; of a volume target or backing store: read and written as libvirt does.</summary>
internal static class VolumePermissionsXml
{
    /// <summary>libvirt's "unset" uid/gid: -1, which is also 4294967295 once cast to uid_t.</summary>
    private const long UnsetId = uint.MaxValue;

    /// <summary>Reads &lt;permissions&gt;; an absent element gives empty permissions.</summary>
    public static Permissions Parse(XElement? permissions)
    {
        if (permissions is null) return new Permissions();
        int? mode = null;
        if (XmlText.Of(permissions.Element("mode")) is { } modeText)
        {
            if (!TryParseOctal(modeText, out int parsed) || (parsed & ~0x1FF) != 0)
                throw StorageException.Xml("malformed octal mode");
            mode = parsed;
        }
        return new Permissions
        {
            Mode = mode,
            Owner = ParseId(permissions.Element("owner"), "owner"),
            Group = ParseId(permissions.Element("group"), "group"),
            Label = XmlText.Of(permissions.Element("label")),
        };
    }

    public static void Format(XmlOut w, Permissions? p)
    {
        if (p is null || p.IsEmpty) return;
        w.Open("permissions");
        if (p.Mode is int mode) w.Text("mode", "0" + Convert.ToString(mode, 8));
        if (p.Owner is long owner) w.Text("owner", AsCInt(owner));
        if (p.Group is long group) w.Text("group", AsCInt(group));
        w.Text("label", p.Label);
        w.Close("permissions");
    }

    /// <summary>libvirt prints ids with "%d" after an (int) cast: ids above 2^31-1 come out negative.</summary>
    private static string AsCInt(long id) => unchecked((int)(uint)id).ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// An owner/group is read as an XPath number (so "0744" is 744), must be integral and fit a uid_t;
    /// -1 means unset and is never printed.
    /// </summary>
    private static long? ParseId(XElement? element, string name)
    {
        if (element is null) return null;
        if (!VolumeXmlValues.TryXPathNumber(element.Value, out double number) || number != Math.Floor(number)
            || number < -1 || number > UnsetId)
            throw StorageException.Xml($"malformed {name} element");
        long id = (long)number;
        return id is -1 or UnsetId ? null : id;
    }

    /// <summary>strtol(…, 8) over the whole string: optional leading blanks and sign, octal digits only.</summary>
    private static bool TryParseOctal(string text, out int value)
    {
        value = 0;
        var s = text.AsSpan().TrimStart(" \t\n\r\f\v");
        bool negative = false;
        if (s.Length > 0 && (s[0] == '+' || s[0] == '-')) { negative = s[0] == '-'; s = s[1..]; }
        if (s.Length == 0) return false;
        long acc = 0;
        foreach (char c in s)
        {
            if (c < '0' || c > '7') return false;
            acc = acc * 8 + (c - '0');
            if (acc > int.MaxValue) return false;
        }
        value = (int)(negative ? -acc : acc);
        return true;
    }
}
