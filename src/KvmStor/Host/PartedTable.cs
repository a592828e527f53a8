using System.Globalization;

namespace KvmStor.Host;

/// <summary>One row of <c>parted -m unit B print free</c>: a partition (Number &gt; 0) or a free region.</summary>
public sealed record PartedRow(int Number, ulong Start, ulong End, ulong Size, string FileSystem, string Name, string Flags, bool IsFree)
{
    /// <summary>End as an exclusive byte offset (parted prints the last byte).</summary>
    public ulong EndExclusive => End + 1;

    public bool Contains(PartedRow other) => this != other && other.Start >= Start && other.End <= End;
}

/// <summary>A device's partition table as parted reports it in machine-readable form.</summary>
public sealed record PartedTable(string Device, ulong DiskSize, int LogicalSectorSize, string Label, IReadOnlyList<PartedRow> Rows)
{
    public IEnumerable<PartedRow> Partitions => Rows.Where(r => !r.IsFree);

    /// <summary>
    /// Parses parted's "BYT;" format: a header line, the device line
    /// (path:size:transport:logical-sector:physical-sector:label:model:flags;), then one line per row
    /// (number:start:end:size:fs:name:flags; — free rows have "free" as their fs field and number 1).
    /// </summary>
    public static PartedTable Parse(string output)
    {
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        int header = Array.FindIndex(lines, l => l is "BYT;" or "CHS;" or "CYL;");
        if (header < 0 || header + 1 >= lines.Length)
            throw StorageException.Internal("unexpected output of parted: no device line");
        var device = SplitFields(lines[header + 1]);
        if (device.Length < 6) throw StorageException.Internal($"unexpected output of parted: '{lines[header + 1]}'");
        var rows = new List<PartedRow>();
        foreach (var line in lines.Skip(header + 2))
        {
            var f = SplitFields(line);
            if (f.Length < 5) continue;
            bool free = f[4] == "free";
            rows.Add(new PartedRow(free ? 0 : int.Parse(f[0], CultureInfo.InvariantCulture), Bytes(f[1]), Bytes(f[2]), Bytes(f[3]),
                free ? "" : f[4], free || f.Length < 6 ? "" : f[5], free || f.Length < 7 ? "" : f[6], free));
        }
        return new PartedTable(device[0], Bytes(device[1]), int.Parse(device[3], CultureInfo.InvariantCulture), device[5], rows);
    }

    private static string[] SplitFields(string line) => line.TrimEnd(';').Split(':');

    private static ulong Bytes(string field) =>
        ulong.Parse(field.TrimEnd('B'), NumberStyles.None, CultureInfo.InvariantCulture);
}

/// <summary>The BIOS geometry parted reports ("BIOS cylinder,head,sector geometry: C,H,S.").</summary>
public readonly record struct DiskGeometry(ulong Cylinders, ulong Heads, ulong Sectors)
{
    public ulong CylinderBytes(int sectorSize) => Heads * Sectors * (ulong)sectorSize;

    public static DiskGeometry Parse(string partedChsOutput)
    {
        const string marker = "BIOS cylinder,head,sector geometry:";
        foreach (var line in partedChsOutput.Split('\n'))
        {
            int i = line.IndexOf(marker, StringComparison.Ordinal);
            if (i < 0) continue;
            var numbers = line[(i + marker.Length)..].Split('.')[0].Split(',', StringSplitOptions.TrimEntries);
            if (numbers.Length == 3
                && ulong.TryParse(numbers[0], CultureInfo.InvariantCulture, out var c)
                && ulong.TryParse(numbers[1], CultureInfo.InvariantCulture, out var h)
                && ulong.TryParse(numbers[2], CultureInfo.InvariantCulture, out var s) && h > 0 && s > 0)
                return new DiskGeometry(c, h, s);
        }
        throw StorageException.Internal("unexpected output of parted: no BIOS geometry");
    }
}
