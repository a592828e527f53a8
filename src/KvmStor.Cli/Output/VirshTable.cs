using System.Globalization;
using System.Text;

namespace KvmStor.Cli.Output;

/// <summary>
/// virsh's vsh-table: every cell preceded by one space, columns padded to their widest cell plus two spaces
/// (so three spaces separate them), the last column unpadded, and a dash rule of sum(width + 3) under the header.
/// </summary>
public sealed class VirshTable(params string[] header)
{
    private readonly List<string[]> _rows = [header];

    public void AddRow(params string[] cells)
    {
        if (cells.Length != header.Length)
            throw new ArgumentException($"row has {cells.Length} cells, header has {header.Length}");
        _rows.Add(cells);
    }

    public string Render()
    {
        int columns = header.Length;
        var widths = new int[columns];
        foreach (var row in _rows)
            for (int c = 0; c < columns; c++)
                widths[c] = Math.Max(widths[c], DisplayWidth(row[c]));

        var text = new StringBuilder();
        AppendRow(text, _rows[0], widths);
        foreach (int width in widths) text.Append('-', width + 3);
        text.Append('\n');
        for (int r = 1; r < _rows.Count; r++) AppendRow(text, _rows[r], widths);
        return text.ToString();
    }

    private static void AppendRow(StringBuilder text, string[] cells, int[] widths)
    {
        for (int c = 0; c < cells.Length; c++)
        {
            text.Append(' ').Append(cells[c]);
            if (c < cells.Length - 1) text.Append(' ', widths[c] - DisplayWidth(cells[c]) + 2);
        }
        text.Append('\n');
    }

    /// <summary>Terminal columns a cell takes: text elements, not UTF-16 units (virsh counts wide characters too).</summary>
    internal static int DisplayWidth(string s)
    {
        int width = 0;
        var elements = StringInfo.GetTextElementEnumerator(s);
        while (elements.MoveNext()) width++;
        return width;
    }
}
