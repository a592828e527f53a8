using System.Text.Json;
using KvmStor.Guests;
using KvmStor.Model;

namespace KvmStor.Cli.Output;

/// <summary>
/// The --json form of a volume (vol-list, vol-info). Field names are a stable interface; sizes are bytes;
/// physical and format are null when the volume has none; usedBy lists the defined guests whose disks use it.
/// </summary>
public sealed record VolumeJson(
    string Name,
    string? Path,
    string? Key,
    string Type,
    ulong Capacity,
    ulong Allocation,
    ulong? Physical,
    string? Format,
    VolumeUserJson[] UsedBy)
{
    public static VolumeJson From(VolumeDefinition volume, IEnumerable<GuestDiskUse> uses) => new(volume.Name, volume.Target.Path,
        volume.Key, VolumeFormatting.TypeName(volume), volume.Capacity, volume.Allocation, volume.Physical, volume.Target.Format,
        uses.Where(u => u.Volume == volume.Name).Select(u => new VolumeUserJson(u.Guest, u.Target)).ToArray());

    /// <param name="uses">The guest uses of the volume's pool (one read of the guest definitions for a whole list).</param>
    public static string Serialize(VolumeDefinition volume, IReadOnlyList<GuestDiskUse> uses) =>
        JsonSerializer.Serialize(From(volume, uses), CliJsonContext.Default.VolumeJson) + "\n";

    public static string Serialize(IEnumerable<VolumeDefinition> volumes, IReadOnlyList<GuestDiskUse> uses) =>
        JsonSerializer.Serialize(volumes.Select(v => From(v, uses)).ToArray(), CliJsonContext.Default.VolumeJsonArray) + "\n";
}

/// <summary>A guest and the disk target through which it uses a volume.</summary>
public sealed record VolumeUserJson(string Guest, string Target);
