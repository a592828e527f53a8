using System.Globalization;
using KvmStor.Model;

namespace KvmStor.Backends.Logical;

/// <summary>
/// Turns lvs rows into volumes with libvirt's rules: inactive LVs and thin pools are skipped, the key is the LV uuid,
/// the path is &lt;target&gt;/&lt;lv&gt;, the backing store is the origin (unless it is the hidden "[…_vorigin]" of a
/// --virtualsize snapshot), allocation is the LV size and each segment line adds its extents. Beyond libvirt, thin
/// volumes are listed, with the space they really use in the thin pool as their allocation.
/// </summary>
public static class LogicalVolumeListing
{
    private static readonly string[] MultiDeviceSegmentTypes = ["striped", "mirror", "raid1"];

    public static IReadOnlyList<LogicalVolume> Build(string targetPath, IEnumerable<LvsRow> rows)
    {
        var volumes = new List<Builder>();
        foreach (var row in rows)
        {
            if (!row.IsActive || row.IsThinPool) continue;
            var builder = volumes.Find(b => b.Row.Name == row.Name);
            if (builder is null)
            {
                builder = new Builder(row);
                volumes.Add(builder);
            }
            if (!row.IsThinVolume) builder.Extents.AddRange(ParseExtents(row));
        }
        return volumes.Select(b => b.ToVolume(targetPath)).ToList();
    }

    /// <summary>The extents of one segment: one per device, start = first extent × extent size, length = segment size.</summary>
    internal static IEnumerable<(string Path, VolumeExtent Extent)> ParseExtents(LvsRow row)
    {
        int count = 1;
        if (MultiDeviceSegmentTypes.Contains(row.SegmentType) || row.SegmentType.StartsWith("raid", StringComparison.Ordinal))
        {
            if (!int.TryParse(row.Stripes, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count < 1)
                throw StorageException.Internal("malformed volume extent stripes value");
        }
        if (!ulong.TryParse(row.SegmentSize, NumberStyles.None, CultureInfo.InvariantCulture, out ulong length))
            throw StorageException.Internal("malformed volume extent length value");
        if (!ulong.TryParse(row.ExtentSize, NumberStyles.None, CultureInfo.InvariantCulture, out ulong extentSize))
            throw StorageException.Internal("malformed volume extent size value");

        var units = row.Devices.Split(',');
        if (units.Length < count) throw StorageException.Internal("malformed volume extent devices value");
        var extents = new List<(string, VolumeExtent)>();
        for (int i = 0; i < count; i++)
        {
            // "path(first-extent)": the path is everything before the last '('.
            string unit = units[i];
            int open = unit.LastIndexOf('(');
            if (open <= 0 || !unit.EndsWith(')'))
                throw StorageException.Internal("malformed volume extent devices value");
            string offsetText = unit[(open + 1)..^1];
            if (!ulong.TryParse(offsetText, NumberStyles.None, CultureInfo.InvariantCulture, out ulong offset))
                throw StorageException.Internal("malformed volume extent offset value");
            ulong start = offset * extentSize;
            extents.Add((unit[..open], new VolumeExtent(start, start + length)));
        }
        return extents;
    }

    private sealed class Builder(LvsRow row)
    {
        public LvsRow Row { get; } = row;
        public List<(string Path, VolumeExtent Extent)> Extents { get; } = [];

        public LogicalVolume ToVolume(string targetPath)
        {
            ulong size = ulong.Parse(Row.Size, CultureInfo.InvariantCulture);
            ulong capacity = size, allocation = size;
            // A snapshot's own size is its copy-on-write store; the guest sees the origin's size.
            if (Row.IsSnapshot && TryParseBytes(Row.OriginSize, out ulong originSize)) capacity = originSize;
            if (Row.IsThinVolume && TryParsePercent(Row.DataPercent, out decimal used))
                allocation = (ulong)Math.Ceiling(size * used / 100m);

            VolumeTarget? backing = null;
            if (Row.Origin.Length > 0 && !Row.HasVirtualOrigin)
                backing = new VolumeTarget { Path = $"{targetPath}/{Row.Origin}" };

            var definition = new VolumeDefinition
            {
                Type = VolumeType.Block,
                Name = Row.Name,
                Key = Row.Uuid,
                SourceDevices = GroupByDevice(Extents),
                Capacity = capacity,
                Allocation = allocation,
                HasAllocation = true,
                Target = new VolumeTarget { Path = $"{targetPath}/{Row.Name}" },
                BackingStore = backing,
            };
            string? thinPool = Row.IsThinVolume && Row.PoolLv.Length > 0 ? Row.PoolLv : null;
            return new LogicalVolume(definition, Row.IsSnapshot, Row.IsThinVolume, thinPool);
        }

        /// <summary>Consecutive extents on one device share a &lt;device&gt; element, as libvirt prints them.</summary>
        private static IReadOnlyList<VolumeSourceDevice> GroupByDevice(List<(string Path, VolumeExtent Extent)> extents)
        {
            var devices = new List<VolumeSourceDevice>();
            foreach (var (path, extent) in extents)
            {
                if (devices.Count > 0 && devices[^1].Path == path)
                    devices[^1] = devices[^1] with { Extents = [.. devices[^1].Extents, extent] };
                else
                    devices.Add(new VolumeSourceDevice(path, [extent]));
            }
            return devices;
        }

        private static bool TryParseBytes(string text, out ulong value) =>
            ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);

        private static bool TryParsePercent(string text, out decimal value) =>
            decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out value) && value is >= 0 and <= 100;
    }
}
