using KvmStor.Cli.Output;
using KvmStor.Cli.Parsing;
using KvmStor.Guests;

namespace KvmStor.Cli.Commands;

/// <summary>attach-disk, detach-disk, domblklist: the disks of a guest definition.</summary>
public static class GuestDiskCommands
{
    public static CommandDefinition AttachDisk => new("attach-disk", "attach a disk to a guest",
        "Adds a <disk> to the guest's definition: a host path (file or block device, told apart by looking at it "
        + "unless --sourcetype says), or a pool volume with --pool and --vol, whose image format becomes the driver "
        + "type. Without a target, the first free name on the bus is taken (vdb, sdc…). --print-xml only prints the "
        + "<disk> that would be added. kvmstor guests never run, so the persistent definition is what changes.",
        [
            GuestLookup.Domain,
            OptionDefinition.Data("source", "path of the file or device to attach", required: false).Taking(OptionValues.Files),
            OptionDefinition.Data("target", "target device name in the guest (chosen when left out)", required: false),
            OptionDefinition.Str("targetbus", "bus of the target: virtio, scsi, sata, ide, usb or fdc").Taking(OptionValues.OneOf(DiskRules.Buses)),
            OptionDefinition.Str("driver", "driver name (qemu)"),
            OptionDefinition.Str("subdriver", "image format of the source (raw, qcow2…)").Taking(OptionValues.FormatsOf(null)),
            OptionDefinition.Str("iothread", "number of the IOThread that serves the disk"),
            OptionDefinition.Str("cache", "cache mode: default, none, writethrough, writeback, directsync or unsafe"),
            OptionDefinition.Str("io", "I/O mode: native, threads or io_uring"),
            OptionDefinition.Str("type", "device kind: disk, cdrom, floppy or lun"),
            OptionDefinition.Str("mode", "readonly or shareable"),
            OptionDefinition.Str("sourcetype", "type of the source: file, block or network (protocol:name@host:port)"),
            OptionDefinition.Str("serial", "serial number the guest sees"),
            OptionDefinition.Str("wwn", "world wide name the guest sees"),
            OptionDefinition.Flag("print-xml", "print the <disk> XML instead of attaching it"),
            OptionDefinition.Flag("persistent", "change the persistent definition"),
            OptionDefinition.Flag("config", "change the persistent definition"),
            OptionDefinition.Flag("live", "change the running guest (kvmstor never runs guests)"),
            OptionDefinition.Flag("current", "change the guest's current state (the definition)"),
            OptionDefinition.Str("pool", "pool of the volume to attach", namedOnly: true).Taking(OptionValues.Pools(PoolStates.Active)),
            OptionDefinition.Str("vol", "name of the volume to attach (with --pool)", namedOnly: true).Taking(OptionValues.VolumesIn("pool")),
        ],
        RunAttach);

    public static CommandDefinition DetachDisk => new("detach-disk", "detach a disk from a guest",
        "Removes the disk with the given target name, source path or pool/volume from the guest's definition.",
        [
            GuestLookup.Domain,
            OptionDefinition.Data("target", "target name, source path or pool/volume of the disk").Taking(OptionValues.DisksOf(GuestLookup.DomainOption)),
            OptionDefinition.Flag("persistent", "change the persistent definition"),
            OptionDefinition.Flag("config", "change the persistent definition"),
            OptionDefinition.Flag("live", "change the running guest (kvmstor never runs guests)"),
            OptionDefinition.Flag("current", "change the guest's current state (the definition)"),
            OptionDefinition.Flag("print-xml", "print the <disk> XML that would be removed, removing nothing"),
        ],
        RunDetach);

    public static CommandDefinition BlockList => new("domblklist", "list a guest's disks",
        "Prints the target and source of every disk; --details adds the source type and device kind.",
        [
            GuestLookup.Domain,
            OptionDefinition.Flag("inactive", "the persistent definition (the only one kvmstor has)"),
            OptionDefinition.Flag("details", "also show the source type and device kind"),
        ],
        RunBlockList);

    private static bool RunAttach(CommandContext context, ParsedCommand command)
    {
        CheckPlacementFlags(command);
        command.Exclusive("source", "pool");
        var request = new DiskAttachRequest
        {
            Source = command.String("source"),
            Target = command.String("target"),
            TargetBus = command.String("targetbus"),
            Driver = command.String("driver"),
            Subdriver = command.String("subdriver"),
            Cache = command.String("cache"),
            IoThread = command.String("iothread"),
            Io = command.String("io"),
            DeviceType = command.String("type"),
            Mode = command.String("mode"),
            SourceType = command.String("sourcetype"),
            Serial = command.String("serial"),
            Wwn = command.String("wwn"),
            Pool = command.String("pool"),
            Volume = command.String("vol"),
        };
        var guest = GuestLookup.Find(context, command);
        var host = GuestLookup.Host(context);
        if (command.Flag("print-xml"))
        {
            context.Output.Print(EngineCall.Run("Failed to attach disk", () => host.Guests.BuildDiskXml(guest.Name, request)));
            return true;
        }
        EngineCall.Run("Failed to attach disk", () => host.Guests.AttachDisk(guest.Name, request));
        context.Output.PrintExtra("Disk attached successfully\n");
        return true;
    }

    private static bool RunDetach(CommandContext context, ParsedCommand command)
    {
        CheckPlacementFlags(command);
        string target = command.Required("target");
        var guest = GuestLookup.Find(context, command);
        var host = GuestLookup.Host(context);
        if (command.Flag("print-xml"))
        {
            string xml = host.Guests.GetDiskXml(guest.Name, target)
                ?? throw new CommandError($"No disk found whose source path or target is {target}");
            context.Output.Print(xml);
            return true;
        }
        var removed = EngineCall.Run("Failed to detach disk", () => host.Guests.DetachDisk(guest.Name, target));
        if (removed is null) throw new CommandError($"No disk found whose source path or target is {target}");
        context.Output.PrintExtra("Disk detached successfully\n");
        return true;
    }

    /// <summary>--live cannot apply: a kvmstor guest is never running. --current excludes the others, as in virsh.</summary>
    private static void CheckPlacementFlags(ParsedCommand command)
    {
        command.Exclusive("current", "live");
        command.Exclusive("current", "config");
        command.Exclusive("current", "persistent");
        if (command.Flag("live"))
            throw new CommandError(command.Name == "attach-disk" ? "Failed to attach disk" : "Failed to detach disk",
                StorageException.Invalid("domain is not running"));
    }

    private static bool RunBlockList(CommandContext context, ParsedCommand command)
    {
        bool details = command.Flag("details");
        var guest = GuestLookup.Find(context, command);
        var disks = EngineCall.Run($"failed to get domain '{guest.Name}'", () => GuestLookup.Host(context).Guests.Disks(guest.Name));
        var table = details ? new VirshTable("Type", "Device", "Target", "Source") : new VirshTable("Target", "Source");
        foreach (var disk in disks)
        {
            if (details) table.AddRow(disk.Type, disk.Device, disk.TargetDev, disk.SourceDisplay);
            else table.AddRow(disk.TargetDev, disk.SourceDisplay);
        }
        context.Output.Print(table.Render());
        return true;
    }
}
