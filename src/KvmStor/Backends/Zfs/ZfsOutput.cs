using System.Globalization;

namespace KvmStor.Backends.Zfs;

/// <summary>A zpool's numbers from "zpool get -Hp health,size,free,allocated".</summary>
public sealed record ZpoolProperties(string? Health, ulong Size, ulong Free, ulong Allocated);

/// <summary>One zvol from "zfs list -Hp -t volume -o name,volsize,refreservation": full dataset name, bytes, and the reservation (0 when none).</summary>
public sealed record ZfsVolumeRow(string Dataset, ulong VolumeSize, ulong Reservation);

/// <summary>Parses the scripted (-H: tab-separated, no header; -p: exact numbers) output of zfs and zpool.</summary>
public static class ZfsOutput
{
    /// <summary>Lines "NAME\tPROPERTY\tVALUE\tSOURCE"; properties that are absent stay 0.</summary>
    public static ZpoolProperties ParsePoolProperties(string output)
    {
        string? health = null;
        ulong size = 0, free = 0, allocated = 0;
        foreach (var line in Lines(output))
        {
            var fields = line.Split('\t');
            if (fields.Length != 4) continue;
            switch (fields[1])
            {
                case "health": health = fields[2]; break;
                case "size": size = Number(fields[2], "size"); break;
                case "free": free = Number(fields[2], "free"); break;
                case "allocated": allocated = Number(fields[2], "allocated"); break;
            }
        }
        return new ZpoolProperties(health, size, free, allocated);
    }

    /// <summary>Lines "DATASET\tVOLSIZE\tREFRESERVATION"; a reservation of "none" or "-" is 0.</summary>
    public static IReadOnlyList<ZfsVolumeRow> ParseVolumes(string output)
    {
        var rows = new List<ZfsVolumeRow>();
        foreach (var line in Lines(output))
        {
            var fields = line.Split('\t');
            if (fields.Length != 3) continue;
            ulong reservation = fields[2] is "none" or "-" ? 0 : Number(fields[2], "refreservation");
            rows.Add(new ZfsVolumeRow(fields[0], Number(fields[1], "volsize"), reservation));
        }
        return rows;
    }

    /// <summary>"zfs get -Hp -o value volblocksize": one number.</summary>
    public static ulong ParseSingleNumber(string output, string property) => Number(output.Trim(), property);

    private static IEnumerable<string> Lines(string output) =>
        output.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0);

    private static ulong Number(string value, string property) =>
        ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out ulong n)
            ? n
            : throw StorageException.Internal($"cannot parse ZFS property {property} value '{value}'");
}
