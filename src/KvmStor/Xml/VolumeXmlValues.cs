using System.Globalization;
using System.Xml.Linq;

namespace KvmStor.Xml;

/// <summary>The few XPath value rules libvirt's volume parser relies on, for LINQ-to-XML elements.</summary>
internal static class VolumeXmlValues
{
    /// <summary>XPath number(): optional blanks, optional '-', digits with an optional fraction.</summary>
    public static bool TryXPathNumber(string text, out double value)
    {
        value = double.NaN;
        string s = text.Trim(' ', '\t', '\n', '\r');
        if (s.Length == 0) return false;
        int i = s[0] == '-' ? 1 : 0;
        bool digits = false, dot = false;
        for (; i < s.Length; i++)
        {
            if (char.IsAsciiDigit(s[i])) digits = true;
            else if (s[i] == '.' && !dot) dot = true;
            else return false;
        }
        return digits && double.TryParse(s, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint,
            CultureInfo.InvariantCulture, out value);
    }

    /// <summary>strtoull-style unsigned decimal over the whole string (leading blanks and '+' allowed, no '-').</summary>
    public static bool TryParseUnsigned(string text, out ulong value)
    {
        value = 0;
        var s = text.AsSpan().TrimStart(" \t\n\r\f\v");
        if (s.Length > 0 && s[0] == '+') s = s[1..];
        if (s.Length == 0) return false;
        foreach (char c in s)
            if (!char.IsAsciiDigit(c)) return false;
        return ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
