using System.Text.Json;
using KvmStor.Model;

namespace KvmStor.Cli.Output;

/// <summary>
/// The --json form of a volume (vol-list, vol-info). Field names are a stable interface; sizes are bytes;
/// physical and format are null when the volume has none.
/// </summary>
public sealed record VolumeJson(
    string Name,
    string? Path,
    string? Key,
    string Type,
    ulong Capacity,
    ulong Allocation,
    ulong? Physical,
    string? Format)
{
    public static VolumeJson From(VolumeDefinition volume) => new(volume.Name, volume.Target.Path, volume.Key,
        VolumeFormatting.TypeName(volume), volume.Capacity, volume.Allocation, volume.Physical, volume.Target.Format);

    public static string Serialize(VolumeDefinition volume) =>
        JsonSerializer.Serialize(From(volume), CliJsonContext.Default.VolumeJson) + "\n";

    public static string Serialize(IEnumerable<VolumeDefinition> volumes) =>
        JsonSerializer.Serialize(volumes.Select(From).ToArray(), CliJsonContext.Default.VolumeJsonArray) + "\n";
}
