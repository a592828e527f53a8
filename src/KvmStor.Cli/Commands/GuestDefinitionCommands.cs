using KvmStor.Cli.Output;
using KvmStor.Cli.Parsing;

namespace KvmStor.Cli.Commands;

/// <summary>define, undefine, dumpxml, list: guest definitions as a whole.</summary>
public static class GuestDefinitionCommands
{
    public static CommandDefinition Define => new("define", "define a guest from an XML file",
        "Stores a guest definition (libvirt domain XML). Everything kvmstor does not itself use is kept as written; "
        + "a guest of the same name and uuid is replaced.",
        [OptionDefinition.Data("file", "file containing the domain XML").Taking(OptionValues.Files), OptionDefinition.Flag("validate", "accepted for virsh compatibility; the XML is always checked")],
        RunDefine);

    public static CommandDefinition Undefine => new("undefine", "remove a guest definition",
        "Deletes the guest's definition. Its disks and the volumes they use are left alone.",
        [GuestLookup.Domain],
        RunUndefine);

    public static CommandDefinition DumpXml => new("dumpxml", "print a guest's XML definition",
        "Prints the stored definition exactly as kvmstor keeps it. --xpath prints only the nodes an XPath expression selects.",
        [
            GuestLookup.Domain,
            OptionDefinition.Flag("inactive", "the persistent definition (the only one kvmstor has)"),
            OptionDefinition.Flag("security-info", "accepted for virsh compatibility"),
            OptionDefinition.Str("xpath", "print only the nodes this XPath expression selects", namedOnly: true),
            OptionDefinition.Flag("wrap", "put the selected nodes inside one <nodes> element"),
        ],
        RunDumpXml);

    public static CommandDefinition List => new("list", "list guests",
        "Lists guests as virsh does. kvmstor only keeps definitions and never runs a guest, so every guest is shut off "
        + "and appears with --all or --inactive.",
        [
            OptionDefinition.Flag("inactive", "list inactive guests"),
            OptionDefinition.Flag("all", "list inactive and active guests"),
            OptionDefinition.Flag("persistent", "list persistent guests"),
            OptionDefinition.Flag("transient", "list transient guests"),
            OptionDefinition.Flag("uuid", "print uuids only"),
            OptionDefinition.Flag("name", "print names only"),
            OptionDefinition.Flag("table", "print a table (the default)"),
        ],
        RunList);

    private static bool RunDefine(CommandContext context, ParsedCommand command)
    {
        string file = command.Required("file");
        string xml = UserFile.ReadXml(file);
        var guest = EngineCall.Run($"Failed to define domain from {file}", () => GuestLookup.Host(context).Guests.Define(xml));
        context.Output.PrintExtra($"Domain '{guest.Name}' defined from {file}\n");
        return true;
    }

    private static bool RunUndefine(CommandContext context, ParsedCommand command)
    {
        var guest = GuestLookup.Find(context, command);
        EngineCall.Run($"Failed to undefine domain '{guest.Name}'", () => GuestLookup.Host(context).Guests.Undefine(guest.Name));
        context.Output.PrintExtra($"Domain '{guest.Name}' has been undefined\n");
        return true;
    }

    private static bool RunDumpXml(CommandContext context, ParsedCommand command)
    {
        string? xpath = command.String("xpath");
        var guest = GuestLookup.Find(context, command);
        string xml = EngineCall.Run($"failed to get domain '{guest.Name}'", () => GuestLookup.Host(context).Guests.GetXml(guest.Name));
        if (xpath is not null) xml = XPathPrinter.Print(xml, xpath, command.Flag("wrap"), "domain");
        context.Output.Print(xml.EndsWith('\n') ? xml : xml + "\n");
        return true;
    }

    private static bool RunList(CommandContext context, ParsedCommand command)
    {
        command.Exclusive("table", "name");
        command.Exclusive("table", "uuid");
        // Every kvmstor guest is persistent and shut off: only the filters that admit those show anything.
        bool showInactive = command.Flag("all") || command.Flag("inactive");
        bool shown = showInactive && !command.Flag("transient");
        var guests = shown ? GuestLookup.Host(context).Guests.List() : [];
        var output = context.Output;
        if (command.Flag("name") || command.Flag("uuid"))
        {
            foreach (var guest in guests)
            {
                var parts = new List<string>();
                if (command.Flag("uuid")) parts.Add(guest.Uuid.ToString());
                if (command.Flag("name")) parts.Add(guest.Name);
                output.PrintLine(string.Join("  ", parts));
            }
            return true;
        }
        var table = new VirshTable("Id", "Name", "State");
        foreach (var guest in guests) table.AddRow("-", guest.Name, "shut off");
        output.Print(table.Render());
        return true;
    }
}
