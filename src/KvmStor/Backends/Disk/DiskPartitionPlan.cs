using KvmStor.Host;

namespace KvmStor.Backends.Disk;

/// <summary>Where and how a new partition will be made; End is the last byte, as parted takes it.</summary>
public sealed record DiskPartitionPlan(PartitionKind Kind, int Number, string Name, ulong Start, ulong End, string PartedType);

/// <summary>
/// Chooses the partition for a new volume with libvirt's arithmetic (spec §3.4, observed §3.5): the smallest free
/// region that fits; on dos labels the end is rounded up to a cylinder boundary (an extra cylinder when the start's
/// offset into its cylinder exceeds the rounding slack) and a logical partition starts one sector into its region.
/// Other labels take the region's start and exactly the capacity. Unlike libvirt, the partition number the kernel
/// will use is known before parted runs, and a name asking for a logical number (≥ 5) makes a logical partition.
/// </summary>
public static class DiskPartitionPlanner
{
    public static DiskPartitionPlan Plan(DiskLayout layout, DiskGeometry? geometry, string format, ulong capacity,
        string requestedName, bool? partSeparator)
    {
        var kind = ChooseKind(layout, format, requestedName, partSeparator);
        ulong sector = (ulong)layout.SectorSize;
        bool cylinderLabel = layout.IsDos || NeedsWholeCylinders(layout.Label);
        ulong cylinder = cylinderLabel ? (geometry ?? throw StorageException.Internal("no disk geometry")).CylinderBytes(layout.SectorSize) : 0;
        bool wantLogical = kind == PartitionKind.Logical;

        DiskFreeRegion? best = null;
        ulong bestNeeded = 0;
        foreach (var region in layout.Free)
        {
            if (region.Logical != wantLogical) continue;
            ulong needed = capacity;
            if (NeedsWholeCylinders(layout.Label))
            {
                // parted places sun and pc98 partitions on whole cylinders only (libvirt does not, and fails there).
                ulong alignedStart = RoundUp(region.Start, cylinder);
                needed = RoundUp(alignedStart + capacity, cylinder) - region.Start;
            }
            else if (layout.IsDos)
            {
                ulong slack = cylinder - capacity % cylinder;
                needed += slack;
                if (region.Start % cylinder > slack) needed += cylinder;
                if (region.Logical) needed += sector;
            }
            if (region.Size > needed && (best is null || region.Size < best.Size))
            {
                best = region;
                bestNeeded = needed;
            }
        }
        if (best is null) throw StorageException.Internal("no large enough free extent");

        ulong start = best.Start + (best.Logical ? sector : 0);
        ulong endExclusive = start + bestNeeded;
        if (NeedsWholeCylinders(layout.Label)) start = RoundUp(start, cylinder);
        else if (layout.IsDos) endExclusive -= start % cylinder;
        ulong end = endExclusive - 1;

        int number = kind == PartitionKind.Logical
            ? 5 + layout.Partitions.Count(p => p.Kind == PartitionKind.Logical && p.Start < start)
            : LowestFreeNumber(layout);
        string name = DiskLayout.PartitionName(layout.Device, partSeparator, number);
        if (requestedName != name)
            throw StorageException.InvalidArg($"invalid partition name '{requestedName}', expected '{name}'");
        return new DiskPartitionPlan(kind, number, name, start, end, PartedType(layout, kind, format));
    }

    private static PartitionKind ChooseKind(DiskLayout layout, string format, string requestedName, bool? partSeparator)
    {
        if (!layout.IsDos) return PartitionKind.Primary; // extended means nothing outside dos labels (libvirt makes a plain partition)
        if (format == DiskPartitionTypes.Extended)
        {
            if (layout.ExtendedPartition is not null)
                throw StorageException.InvalidArg($"device '{layout.Device}' already has an extended partition");
            return PartitionKind.Extended;
        }
        int primaries = layout.Partitions.Count(p => p.Kind != PartitionKind.Logical);
        bool asksLogical = RequestedNumber(layout.Device, partSeparator, requestedName) is >= 5;
        if (asksLogical || primaries >= 4)
        {
            if (layout.ExtendedPartition is null)
                throw StorageException.InvalidArg(asksLogical
                    ? $"logical partition '{requestedName}' needs an extended partition on '{layout.Device}'"
                    : $"no free primary partition slot on '{layout.Device}' and no extended partition");
            return PartitionKind.Logical;
        }
        return PartitionKind.Primary;
    }

    private static int? RequestedNumber(string device, bool? partSeparator, string requestedName)
    {
        string prefix = DiskLayout.PartitionName(device, partSeparator, 0)[..^1];
        return requestedName.StartsWith(prefix, StringComparison.Ordinal)
               && int.TryParse(requestedName.AsSpan(prefix.Length), System.Globalization.NumberStyles.None,
                   System.Globalization.CultureInfo.InvariantCulture, out int n) ? n : null;
    }

    /// <summary>Labels whose partitions parted puts on cylinder boundaries only.</summary>
    public static bool NeedsWholeCylinders(string label) => label is "sun" or "pc98";

    private static ulong RoundUp(ulong value, ulong unit) => (value + unit - 1) / unit * unit;

    private static int LowestFreeNumber(DiskLayout layout)
    {
        int n = 1;
        while (layout.Partitions.Any(p => p.Number == n)) n++;
        if (layout.IsDos && n > 4) throw StorageException.InvalidArg($"no free primary partition slot on '{layout.Device}'");
        return n;
    }

    /// <summary>parted's partition-type argument, one word group as libvirt passes it: "primary ext2", "logical fat32",
    /// "extended" on dos; "primary" elsewhere, except that swap and fat keep their type (so gpt gets the right type GUID)
    /// and bsd/sun labels get the fs type alone.</summary>
    private static string PartedType(DiskLayout layout, PartitionKind kind, string format)
    {
        string fs = DiskPartitionTypes.PartedFileSystem(format);
        if (layout.IsDos)
            return kind switch
            {
                PartitionKind.Extended => "extended",
                PartitionKind.Logical => "logical " + fs,
                _ => "primary " + fs,
            };
        // bsd and sun labels have neither partition types nor names: parted wants the fs type alone.
        if (layout.Label is "bsd" or "sun") return fs == DiskPartitionTypes.Extended ? "ext2" : fs;
        return fs is "linux-swap" or "fat16" or "fat32" ? "primary " + fs : "primary";
    }
}
