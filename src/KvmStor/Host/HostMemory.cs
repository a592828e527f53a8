using System.Globalization;

namespace KvmStor.Host;

/// <summary>
/// The host's memory as libvirt's virNodeGetMemoryStats reports it: total, free, buffers and cached in KiB, for the
/// whole host (/proc/meminfo) or one NUMA cell (/sys/devices/system/node/nodeN/meminfo, whose lines start "Node N").
/// </summary>
public static class HostMemory
{
    /// <summary>The four fields in libvirt's order, with the meminfo key each one comes from.</summary>
    public static readonly IReadOnlyList<(string Field, string Key)> Fields =
        [("total", "MemTotal"), ("free", "MemFree"), ("buffers", "Buffers"), ("cached", "Cached")];

    private const string NodeDirectory = "/sys/devices/system/node";

    /// <summary>The four values of <see cref="Fields"/> for the host (<paramref name="cell"/> -1) or one cell; null when there is no such cell.</summary>
    public static IReadOnlyList<(string Field, ulong KiB)>? Stats(int cell)
    {
        string path = cell < 0 ? "/proc/meminfo" : Path.Combine(NodeDirectory, $"node{cell}", "meminfo");
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        var values = Parse(text);
        return Fields.Select(f => (f.Field, values.GetValueOrDefault(f.Key))).ToList();
    }

    /// <summary>Total memory of the host in KiB (0 when /proc/meminfo cannot be read).</summary>
    public static ulong TotalKiB() => Stats(-1)?[0].KiB ?? 0;

    /// <summary>How many NUMA cells the host has (at least one).</summary>
    public static int CellCount()
    {
        try
        {
            int count = Directory.Exists(NodeDirectory)
                ? Directory.EnumerateDirectories(NodeDirectory, "node*").Count(d => int.TryParse(Path.GetFileName(d)[4..], out _))
                : 0;
            return Math.Max(count, 1);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return 1; }
    }

    /// <summary>"Key:   123 kB" lines (optionally prefixed "Node N ") → key → KiB; other lines are skipped.</summary>
    public static Dictionary<string, ulong> Parse(string meminfo)
    {
        var values = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (var raw in meminfo.Split('\n'))
        {
            var words = raw.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            int i = words.Length >= 2 && words[0] == "Node" ? 2 : 0;
            if (words.Length < i + 2 || !words[i].EndsWith(':')) continue;
            if (!ulong.TryParse(words[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out ulong value)) continue;
            // Every size in meminfo is in kB (KiB); counters without a unit (HugePages_Total) are not sizes.
            if (words.Length < i + 3 || words[i + 2] != "kB") continue;
            values[words[i][..^1]] = value;
        }
        return values;
    }
}
