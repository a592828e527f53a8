using System.Text;
using System.Text.Json;
using KvmStor.Cli.Output;
using KvmStor.Cli.Parsing;
using KvmStor.Engine;
using KvmStor.Guests;

namespace KvmStor.Cli.Commands;

/// <summary>vol-attach-info: which defined guests use a volume (kvmstor's own command; virsh has none).</summary>
public static class GuestVolumeUseCommand
{
    public static CommandDefinition AttachInfo => new("vol-attach-info", "show which guests use a volume",
        "Lists the guests whose definitions use the volume, with the target name of each disk: disks given as "
        + "<source pool volume> and disks given by the volume's path. The same check guards vol-delete, vol-wipe, "
        + "vol-resize --shrink, vol-upload, pool-delete and pool-undefine.",
        [
            OptionDefinition.Data("vol", "volume name, key or path").Taking(OptionValues.VolumesIn("pool")),
            OptionDefinition.Str("pool", "pool name or uuid").Taking(OptionValues.Pools(PoolStates.Active)),
            OptionDefinition.Flag("json", "print JSON instead of text"),
        ],
        RunAttachInfo, SupportsJson: true);

    private static bool RunAttachInfo(CommandContext context, ParsedCommand command)
    {
        var host = GuestLookup.Host(context);
        var volume = VolumeLookup.Find(context, command);
        var uses = host.Guests.Using(volume.PoolName, volume.Name);
        context.Output.Print(command.Flag("json") ? Json(uses) : Table(uses));
        return true;
    }

    private static string Table(IReadOnlyList<GuestDiskUse> uses)
    {
        var table = new VirshTable("Domain", "Target");
        foreach (var use in uses) table.AddRow(use.Guest, use.Target);
        return table.Render();
    }

    private static string Json(IReadOnlyList<GuestDiskUse> uses)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartArray();
            foreach (var use in uses)
            {
                json.WriteStartObject();
                json.WriteString("domain", use.Guest);
                json.WriteString("target", use.Target);
                json.WriteString("pool", use.Pool);
                json.WriteString("volume", use.Volume);
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }
}
