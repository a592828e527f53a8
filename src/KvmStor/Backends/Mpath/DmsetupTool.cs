using System.Globalization;
using System.Text.RegularExpressions;
using KvmStor.Host;

namespace KvmStor.Backends.Mpath;

/// <summary>
/// Lists multipath maps with dmsetup (libvirt asks libdevmapper directly; the CLI gives the same list, table and
/// minor numbers): <c>dmsetup ls --target multipath</c> for names and device numbers, then <c>dmsetup table NAME</c>
/// for each map's segments.
/// </summary>
public sealed partial class DmsetupTool(ICommandRunner runner)
{
    public const string Program = "dmsetup";

    public static CommandLine ListCommand() => new(Program, "ls", "--target", "multipath");

    public static CommandLine TableCommand(string name) => new(Program, "table", name);

    public IReadOnlyList<MultipathMap> ListMaps()
    {
        if (!runner.Exists(Program))
            throw StorageException.Internal("dmsetup is not installed (Debian package 'dmsetup'): cannot list multipath maps");
        var maps = new List<MultipathMap>();
        foreach (var (name, minor) in ParseList(runner.RunChecked(ListCommand()).StandardOutput))
        {
            var table = runner.Run(TableCommand(name));
            // A map removed between the two calls is simply gone.
            if (!table.Success) continue;
            if (ParseTable(table.StandardOutput) is { } sectors)
                maps.Add(new MultipathMap(name, minor, sectors));
        }
        return maps.OrderBy(m => m.Minor).ToList();
    }

    /// <summary>
    /// "NAME\t(MAJOR:MINOR)" lines (older dmsetup prints "(MAJOR, MINOR)"); "No devices found" when there are none.
    /// </summary>
    public static List<(string Name, uint Minor)> ParseList(string output)
    {
        var maps = new List<(string, uint)>();
        foreach (var raw in output.Split('\n'))
        {
            var m = ListLine().Match(raw.TrimEnd());
            if (m.Success) maps.Add((m.Groups[1].Value, uint.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture)));
        }
        return maps;
    }

    /// <summary>
    /// The map's length when its target is multipath: each line is "START LENGTH TARGET ARGS…" and the lengths add up;
    /// null when the table is not a multipath one.
    /// </summary>
    public static ulong? ParseTable(string output)
    {
        ulong sectors = 0;
        bool multipath = false;
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var fields = line.Split(' ', 4, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 3 || !ulong.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out ulong length))
                throw StorageException.Internal($"cannot parse dmsetup table line '{line}'");
            multipath |= fields[2] == "multipath";
            sectors += length;
        }
        return multipath ? sectors : null;
    }

    [GeneratedRegex(@"^(\S+)\s+\((\d+)(?::|,\s*)(\d+)\)$")]
    private static partial Regex ListLine();
}
