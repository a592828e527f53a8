using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.Backends.Disk;

public enum PartitionKind { Primary, Extended, Logical }

/// <summary>One partition of a disk pool's device; End is exclusive.</summary>
public sealed record DiskPartition(int Number, string Name, string Path, PartitionKind Kind, ulong Start, ulong End, string Format)
{
    public ulong Size => End - Start;
}

/// <summary>Unallocated space; logical regions lie inside the extended partition. End is exclusive.</summary>
public sealed record DiskFreeRegion(ulong Start, ulong End, bool Logical)
{
    public ulong Size => End - Start;
}

/// <summary>
/// A disk pool's device read through parted (and blkid for the partition type codes): what libvirt_parthelper
/// tells libvirt, built from standard tools.
/// </summary>
public sealed record DiskLayout(string Device, string Label, ulong DiskSize, int SectorSize,
    IReadOnlyList<DiskPartition> Partitions, IReadOnlyList<DiskFreeRegion> Free)
{
    public bool IsDos => Label == "msdos";
    public DiskPartition? ExtendedPartition => Partitions.FirstOrDefault(p => p.Kind == PartitionKind.Extended);

    /// <summary>Pool capacity, allocation and available as libvirt computes them: capacity is the furthest end of any
    /// partition or free region, allocation sums the data partitions (an extended partition counts 0).</summary>
    public (ulong Capacity, ulong Allocation, ulong Available) Totals()
    {
        ulong capacity = Partitions.Select(p => p.End).Concat(Free.Select(f => f.End)).DefaultIfEmpty(0UL).Max();
        ulong allocation = (ulong)Partitions.Where(p => p.Kind != PartitionKind.Extended).Sum(p => (decimal)p.Size);
        ulong available = (ulong)Free.Sum(f => (decimal)f.Size);
        return (capacity, allocation, available);
    }

    /// <summary>The partition device name the kernel gives partition <paramref name="number"/> of <paramref name="device"/>:
    /// "p" between a name ending in a digit and the number (loop0p1, nvme0n1p1), or as part_separator says.</summary>
    public static string PartitionName(string device, bool? partSeparator, int number)
    {
        string baseName = System.IO.Path.GetFileName(device);
        bool separator = partSeparator ?? (baseName.Length > 0 && char.IsAsciiDigit(baseName[^1]));
        return baseName + (separator ? "p" : "") + number.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Builds the layout from parted's table and blkid's per-partition values (keyed by DEVNAME).</summary>
    public static DiskLayout From(PartedTable table, PoolSourceDevice source, IReadOnlyDictionary<string, Dictionary<string, string>> blkid)
    {
        string dir = System.IO.Path.GetDirectoryName(source.Path) ?? "/dev";
        if (dir.StartsWith("/dev/mapper", StringComparison.Ordinal) || dir.StartsWith("/dev/disk", StringComparison.Ordinal)) dir = "/dev";
        var rows = table.Rows;
        bool dos = table.Label == "msdos";
        var partitions = new List<DiskPartition>();
        foreach (var row in rows.Where(r => !r.IsFree))
        {
            string name = PartitionName(source.Path, source.PartSeparator, row.Number);
            string path = System.IO.Path.Combine(dir, name);
            var values = blkid.GetValueOrDefault(path);
            string format = DiskPartitionTypes.FromPartitionType(values?.GetValueOrDefault("PART_ENTRY_TYPE"), row.FileSystem);
            // Without blkid's answer an extended partition is recognised as the primary that encloses other rows.
            bool extended = dos && row.Number <= 4 && (format == DiskPartitionTypes.Extended || (values is null && rows.Any(row.Contains)));
            var kind = extended ? PartitionKind.Extended : dos && row.Number > 4 ? PartitionKind.Logical : PartitionKind.Primary;
            partitions.Add(new DiskPartition(row.Number, name, path, kind, row.Start, row.EndExclusive,
                kind == PartitionKind.Extended ? DiskPartitionTypes.Extended : format == DiskPartitionTypes.Extended ? "none" : format));
        }
        var ext = partitions.FirstOrDefault(p => p.Kind == PartitionKind.Extended);
        var free = new List<DiskFreeRegion>();
        foreach (var row in rows.Where(r => r.IsFree))
        {
            // The first sector holds the partition table (libvirt's rule for a region starting at 0).
            ulong start = row.Start == 0 ? (ulong)table.LogicalSectorSize : row.Start;
            if (start >= row.EndExclusive) continue;
            bool logical = ext is not null && start >= ext.Start && row.EndExclusive <= ext.End;
            free.Add(new DiskFreeRegion(start, row.EndExclusive, logical));
        }
        return new DiskLayout(source.Path, table.Label, table.DiskSize, table.LogicalSectorSize, partitions, free);
    }
}
