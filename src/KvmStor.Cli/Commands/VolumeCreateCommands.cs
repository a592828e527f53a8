using KvmStor.Cli.Parsing;
using KvmStor.Model;
using KvmStor.Xml;

namespace KvmStor.Cli.Commands;

/// <summary>vol-create, vol-create-as, vol-create-from, vol-clone, vol-delete: volumes made and removed.</summary>
public static class VolumeCreateCommands
{
    public static CommandDefinition Create => new("vol-create", "create a volume from an XML file",
        "Creates and builds a volume in a pool from a <volume> document.",
        [VolumeOptions.TargetPool, OptionDefinition.Data("file", "XML file holding the volume definition").Taking(OptionValues.Files),
            VolumeOptions.PreallocMetadata, VolumeOptions.Validate],
        RunCreate);

    public static CommandDefinition CreateAs => new("vol-create-as", "create a volume from options",
        "Like vol-create, but the XML is made from the options; --print-xml shows it without creating anything. "
        + "--backing-vol (a name in the pool, a key or a path) makes a copy-on-write overlay of that volume.",
        [
            VolumeOptions.TargetPool,
            OptionDefinition.Data("name", "name of the new volume"),
            OptionDefinition.Data("capacity", "size of the volume, with an optional unit (1G, 512MiB, 10GB)"),
            OptionDefinition.Str("allocation", "space to allocate up front, with an optional unit"),
            OptionDefinition.Str("format", "image format (raw, qcow2, qed, vmdk, ...)").Taking(OptionValues.FormatsOf(VolumeLookup.PoolOption)),
            OptionDefinition.Str("backing-vol", "volume the new one is an overlay of").Taking(OptionValues.VolumesIn(VolumeLookup.PoolOption)),
            OptionDefinition.Str("backing-vol-format", "image format of the backing volume").Taking(OptionValues.FormatsOf(null)),
            VolumeOptions.PreallocMetadata,
            OptionDefinition.Flag("print-xml", "only print the volume XML these options make"),
        ],
        RunCreateAs);

    public static CommandDefinition CreateFrom => new("vol-create-from", "create a volume with the content of another",
        "Creates a volume from a <volume> document, filled with the guest-visible content of an existing volume "
        + "(converted when the formats differ).",
        [
            VolumeOptions.TargetPool,
            OptionDefinition.Data("file", "XML file holding the new volume's definition").Taking(OptionValues.Files),
            VolumeOptions.Vol.Taking(OptionValues.VolumesIn("inputpool")),
            OptionDefinition.Str("inputpool", "name or UUID of the pool holding the source volume").Taking(OptionValues.Pools(PoolStates.Active)),
            VolumeOptions.PreallocMetadata,
            VolumeOptions.Reflink,
            VolumeOptions.FullCopy,
            VolumeOptions.Validate,
        ],
        RunCreateFrom);

    public static CommandDefinition Clone => new("vol-clone", "copy a volume under a new name",
        "Copies a volume into a new one in the same pool, same format and size; --print-xml shows the XML it would use.",
        [
            VolumeOptions.Vol,
            OptionDefinition.Data("newname", "name of the copy"),
            VolumeOptions.Pool,
            VolumeOptions.PreallocMetadata,
            VolumeOptions.Reflink,
            VolumeOptions.FullCopy,
            OptionDefinition.Flag("print-xml", "only print the XML of the copy"),
        ],
        RunClone);

    public static CommandDefinition Delete => new("vol-delete", "delete a volume",
        "Removes a volume and its data from its pool; refused while a defined guest uses it or a running process has it open, unless --force.",
        [VolumeOptions.Vol, VolumeOptions.Pool, OptionDefinition.Flag("delete-snapshots", "also delete the volume's snapshots (rbd)"), VolumeOptions.Force],
        RunDelete);

    private static bool RunCreate(CommandContext context, ParsedCommand command)
    {
        var pool = PoolLookup.Find(context, command.Required(VolumeLookup.PoolOption));
        string file = command.Required("file");
        var flags = VolumeOptions.CreateFlags(command);
        string xml = UserFile.ReadXml(file);
        string failure = $"Failed to create vol from {file}";
        if (command.Flag("validate"))
            EngineCall.Run(failure, () => SafeXml.Parse(xml, VolumeXml.DocumentName));
        var volume = LongOperation.Run(context, "Creating", failure,
            (progress, cancel) => context.Host.Volumes.Create(pool.Name, xml, flags, progress, cancel));
        context.Output.PrintExtra($"Vol {volume.Name} created from {file}\n");
        return true;
    }

    private static bool RunCreateAs(CommandContext context, ParsedCommand command)
    {
        var pool = PoolLookup.Find(context, command.Required(VolumeLookup.PoolOption));
        string name = command.Required("name");
        ulong capacity = VolumeOptions.Size(command.Required("capacity"));
        ulong? allocation = command.String("allocation") is { } allocationText ? VolumeOptions.Size(allocationText) : null;
        string? format = command.String("format");
        string? backingWord = command.String("backing-vol");
        string? backingFormat = command.String("backing-vol-format");
        var flags = VolumeOptions.CreateFlags(command);

        string? backingPath = null;
        if (backingWord is not null)
        {
            var backing = VolumeLookup.FindBacking(context, pool.Name, backingWord);
            backingPath = backing.Volume.Target.Path
                ?? throw new CommandError($"failed to get vol '{backingWord}'");
        }
        string xml = VolumeArgumentsXml.CreateAs(name, capacity, allocation, format, backingPath, backingFormat);
        if (command.Flag("print-xml"))
        {
            context.Output.Print(xml);
            return true;
        }
        LongOperation.Run(context, "Creating", $"Failed to create vol {name}",
            (progress, cancel) => context.Host.Volumes.Create(pool.Name, xml, flags, progress, cancel));
        context.Output.PrintExtra($"Vol {name} created\n");
        return true;
    }

    private static bool RunCreateFrom(CommandContext context, ParsedCommand command)
    {
        var pool = PoolLookup.Find(context, command.Required(VolumeLookup.PoolOption));
        string file = command.Required("file");
        var source = VolumeLookup.Find(context, command, VolumeLookup.VolOption, "inputpool");
        var flags = VolumeOptions.CreateFlags(command);
        string xml = UserFile.ReadXml(file);
        string failure = $"Failed to create vol from {file}";
        if (command.Flag("validate"))
            EngineCall.Run(failure, () => SafeXml.Parse(xml, VolumeXml.DocumentName));
        var volume = LongOperation.Run(context, "Copying", failure,
            (progress, cancel) => context.Host.Volumes.CreateFrom(pool.Name, xml, source, flags, progress, cancel));
        context.Output.PrintExtra($"Vol {volume.Name} created from input vol {source.Name}\n");
        return true;
    }

    private static bool RunClone(CommandContext context, ParsedCommand command)
    {
        var source = VolumeLookup.Find(context, command);
        string newName = command.Required("newname");
        var flags = VolumeOptions.CreateFlags(command);
        string failure = $"Failed to clone vol from {source.Name}";
        string xml = EngineCall.Run(failure, () => VolumeArgumentsXml.Clone(context.Host.Volumes.GetXml(source), newName));
        if (command.Flag("print-xml"))
        {
            context.Output.Print(xml);
            return true;
        }
        LongOperation.Run(context, "Cloning", failure,
            (progress, cancel) => context.Host.Volumes.CreateFrom(source.PoolName, xml, source, flags, progress, cancel));
        context.Output.PrintExtra($"Vol {newName} cloned from {source.Name}\n");
        return true;
    }

    private static bool RunDelete(CommandContext context, ParsedCommand command)
    {
        var volume = VolumeLookup.Find(context, command);
        string word = command.Required(VolumeLookup.VolOption);
        var flags = command.Flag("delete-snapshots") ? VolumeDeleteFlags.DeleteSnapshots : VolumeDeleteFlags.None;
        EngineCall.Run($"Failed to delete vol {word}", () => context.Host.Volumes.Delete(volume, flags, command.Flag("force")));
        context.Output.PrintExtra($"Vol {word} deleted\n");
        return true;
    }
}
