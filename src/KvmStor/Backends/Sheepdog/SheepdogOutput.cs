using System.Globalization;
using System.Text;

namespace KvmStor.Backends.Sheepdog;

/// <summary>The cluster's size and use from "dog node info -r".</summary>
public sealed record SheepdogClusterSize(ulong Capacity, ulong Used);

/// <summary>
/// One line of "dog vdi list -r": '=' marks a current (writable) VDI, 'c' a current VDI cloned from a snapshot,
/// 's' a snapshot; size and used are bytes.
/// </summary>
public sealed record SheepdogVdi(char Kind, string Name, uint SnapshotId, ulong Size, ulong Used)
{
    /// <summary>A volume of the pool: a current VDI, cloned or not (snapshots are not volumes).</summary>
    public bool IsCurrent => Kind is '=' or 'c';
}

/// <summary>Parses dog's raw (-r) output: space-separated fields, with spaces and backslashes in names escaped by a backslash.</summary>
public static class SheepdogOutput
{
    /// <summary>
    /// The "Total" line of node info: "Total SIZE USED …" (older collie prints "SIZE USED USE% VDI-SIZE", dog 0.9+
    /// "SIZE USED AVAIL USE% VDI-SIZE"; the first two fields mean the same in both). Null when there is none.
    /// </summary>
    public static SheepdogClusterSize? ParseNodeInfo(string output)
    {
        foreach (var line in output.Split('\n'))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 3 || fields[0] != "Total") continue;
            if (TryBytes(fields[1], out ulong size) && TryBytes(fields[2], out ulong used))
                return new SheepdogClusterSize(size, used);
        }
        return null;
    }

    /// <summary>Every well-formed line of vdi list; lines that are not (a header, a blank) are skipped.</summary>
    public static IReadOnlyList<SheepdogVdi> ParseVdiList(string output)
    {
        var vdis = new List<SheepdogVdi>();
        foreach (var line in output.Split('\n'))
        {
            var fields = SplitEscaped(line.TrimEnd('\r'));
            if (fields.Count < 5 || fields[0].Length != 1 || fields[0][0] is not ('=' or 'c' or 's')) continue;
            if (!uint.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out uint id)
                || !TryBytes(fields[3], out ulong size) || !TryBytes(fields[4], out ulong used))
                continue;
            vdis.Add(new SheepdogVdi(fields[0][0], fields[1], id, size, used));
        }
        return vdis;
    }

    private static List<string> SplitEscaped(string line)
    {
        var fields = new List<string>();
        var current = new StringBuilder();
        bool any = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (c == '\\' && i + 1 < line.Length) { current.Append(line[++i]); any = true; }
            else if (c == ' ')
            {
                if (any) fields.Add(current.ToString());
                current.Clear();
                any = false;
            }
            else { current.Append(c); any = true; }
        }
        if (any) fields.Add(current.ToString());
        return fields;
    }

    private static bool TryBytes(string s, out ulong value) =>
        ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
