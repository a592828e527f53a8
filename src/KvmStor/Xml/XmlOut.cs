using System.Text;

namespace KvmStor.Xml;

/// <summary>
/// Writes XML the way libvirt's virBuffer formatters do: two-space indentation, single-quoted attributes,
/// one element per line, &lt;x/&gt; for empty leaves. Not a general XML writer on purpose: byte-exact output matters.
/// </summary>
public sealed class XmlOut
{
    private readonly StringBuilder _sb = new();
    private int _depth;

    public XmlOut(int initialDepth = 0) => _depth = initialDepth;

    /// <summary>&lt;name a='v'…&gt; and indent. Attributes whose value is null are skipped.</summary>
    public XmlOut Open(string name, params (string Name, string? Value)[] attributes)
    {
        Indent().Append('<').Append(name);
        AppendAttributes(attributes);
        _sb.Append(">\n");
        _depth++;
        return this;
    }

    public XmlOut Close(string name)
    {
        _depth--;
        Indent().Append("</").Append(name).Append(">\n");
        return this;
    }

    /// <summary>&lt;name a='v'/&gt;</summary>
    public XmlOut Empty(string name, params (string Name, string? Value)[] attributes)
    {
        Indent().Append('<').Append(name);
        AppendAttributes(attributes);
        _sb.Append("/>\n");
        return this;
    }

    /// <summary>&lt;name a='v'&gt;text&lt;/name&gt;; nothing when <paramref name="text"/> is null.</summary>
    public XmlOut Text(string name, string? text, params (string Name, string? Value)[] attributes)
    {
        if (text is null) return this;
        Indent().Append('<').Append(name);
        AppendAttributes(attributes);
        _sb.Append('>').Append(Escape(text)).Append("</").Append(name).Append(">\n");
        return this;
    }

    /// <summary>Appends pre-formatted lines (already indented by the caller).</summary>
    public XmlOut Raw(string text)
    {
        _sb.Append(text);
        return this;
    }

    public override string ToString() => _sb.ToString();

    private StringBuilder Indent() => _sb.Append(' ', _depth * 2);

    private void AppendAttributes((string Name, string? Value)[] attributes)
    {
        foreach (var (n, v) in attributes)
            if (v is not null)
                _sb.Append(' ').Append(n).Append("='").Append(Escape(v)).Append('\'');
    }

    /// <summary>libvirt's virBufferEscapeString: &lt; &gt; &amp; ' " become entities.</summary>
    public static string Escape(string s)
    {
        if (s.AsSpan().IndexOfAny("<>&'\"") < 0) return s;
        var sb = new StringBuilder(s.Length + 16);
        foreach (char c in s)
            sb.Append(c switch
            {
                '<' => "&lt;",
                '>' => "&gt;",
                '&' => "&amp;",
                '\'' => "&apos;",
                '"' => "&quot;",
                _ => c.ToString(),
            });
        return sb.ToString();
    }
}
