using KvmStor.Cli.Output;
using KvmStor.Cli.Parsing;

namespace KvmStor.Cli.Commands;

/// <summary>vol-list, vol-info, vol-dumpxml, vol-key, vol-path, vol-name, vol-pool: commands that only read.</summary>
public static class VolumeInfoCommands
{
    public static CommandDefinition List => new("vol-list", "list the volumes of a pool",
        "Shows the volumes of a running pool, sorted by name, with their paths; --details adds type and sizes.",
        [VolumeOptions.TargetPool, OptionDefinition.Flag("details", "add type, capacity and allocation"), PoolOptions.Json],
        RunList, SupportsJson: true);

    public static CommandDefinition Info => new("vol-info", "show a volume's type and sizes",
        "Prints the name, type, capacity and allocation of a volume (with --physical, its size on the host instead of the allocation).",
        [
            VolumeOptions.Vol,
            VolumeOptions.Pool,
            OptionDefinition.Flag("bytes", "sizes in bytes"),
            OptionDefinition.Flag("physical", "show the host-side size instead of the allocation"),
            PoolOptions.Json,
        ],
        RunInfo, SupportsJson: true);

    public static CommandDefinition DumpXml => new("vol-dumpxml", "print a volume's XML",
        "Prints the volume as XML; --xpath prints only the nodes an XPath expression selects.",
        [
            VolumeOptions.Vol,
            VolumeOptions.Pool,
            OptionDefinition.Str("xpath", "print only the nodes this XPath expression selects", namedOnly: true),
            OptionDefinition.Flag("wrap", "put the selected nodes inside one <nodes> element"),
        ],
        RunDumpXml);

    public static CommandDefinition KeyOf => new("vol-key", "print the key of a volume",
        "", [OptionDefinition.Data(VolumeLookup.VolOption, "name or path of the volume").Taking(OptionValues.VolumesIn(VolumeLookup.PoolOption)), VolumeOptions.Pool], RunKey);

    public static CommandDefinition PathOf => new("vol-path", "print the path of a volume",
        "", [OptionDefinition.Data(VolumeLookup.VolOption, "name or key of the volume").Taking(OptionValues.VolumesIn(VolumeLookup.PoolOption)), VolumeOptions.Pool], RunPath);

    public static CommandDefinition NameOf => new("vol-name", "print the name of a volume given its key or path",
        "", [OptionDefinition.Data(VolumeLookup.VolOption, "key or path of the volume").Taking(new(ValueKind.VolumeKey))], RunName);

    public static CommandDefinition PoolOf => new("vol-pool", "print the pool holding a volume given its key or path",
        "Prints the pool's name, or with --uuid its UUID.",
        [OptionDefinition.Data(VolumeLookup.VolOption, "key or path of the volume").Taking(new(ValueKind.VolumeKey)), OptionDefinition.Flag("uuid", "print the pool's UUID")],
        RunPool);

    private static bool RunList(CommandContext context, ParsedCommand command)
    {
        var pool = PoolLookup.Find(context, command.Required(VolumeLookup.PoolOption));
        var volumes = EngineCall.Run("Failed to list volumes", () => context.Host.Volumes.List(pool.Name));
        var output = context.Output;
        if (command.Flag("json")) output.Print(VolumeJson.Serialize(volumes, context.Host.Guests.Using(pool.Name)));
        else output.Print(command.Flag("details") ? VolumeFormatting.DetailsTable(volumes) : VolumeFormatting.Table(volumes));
        return true;
    }

    private static bool RunInfo(CommandContext context, ParsedCommand command)
    {
        var handle = VolumeLookup.Find(context, command);
        var volume = handle.Volume;
        context.Output.Print(command.Flag("json")
            ? VolumeJson.Serialize(volume, context.Host.Guests.Using(handle.PoolName, volume.Name))
            : VolumeFormatting.Info(volume, command.Flag("bytes"), command.Flag("physical")));
        return true;
    }

    private static bool RunDumpXml(CommandContext context, ParsedCommand command)
    {
        string? xpath = command.String("xpath");
        bool wrap = command.Flag("wrap");
        var volume = VolumeLookup.Find(context, command);
        string xml = context.Host.Volumes.GetXml(volume);
        context.Output.Print(xpath is null ? xml : XPathPrinter.Print(xml, xpath, wrap, "volume"));
        return true;
    }

    private static bool RunKey(CommandContext context, ParsedCommand command)
    {
        var volume = VolumeLookup.Find(context, command);
        context.Output.PrintLine(volume.Volume.Key ?? "");
        return true;
    }

    private static bool RunPath(CommandContext context, ParsedCommand command)
    {
        var volume = VolumeLookup.Find(context, command);
        string word = command.Required(VolumeLookup.VolOption);
        string path = volume.Volume.Target.Path
            ?? throw new CommandError($"failed to get path for volume '{word}'");
        context.Output.PrintLine(path);
        return true;
    }

    private static bool RunName(CommandContext context, ParsedCommand command)
    {
        var volume = VolumeLookup.Find(context, command, poolOption: null);
        context.Output.PrintLine(volume.Name);
        return true;
    }

    private static bool RunPool(CommandContext context, ParsedCommand command)
    {
        var volume = VolumeLookup.Find(context, command, poolOption: null);
        context.Output.PrintLine(command.Flag("uuid") ? volume.PoolUuid.ToString() : volume.PoolName);
        return true;
    }
}
