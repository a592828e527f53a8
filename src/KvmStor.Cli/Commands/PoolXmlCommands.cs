using KvmStor.Model;
using KvmStor.Xml;
using System.Text;
using KvmStor.Cli.Output;
using KvmStor.Cli.Parsing;

namespace KvmStor.Cli.Commands;

/// <summary>pool-dumpxml, pool-capabilities, find-storage-pool-sources(-as): commands that print XML.</summary>
public static class PoolXmlCommands
{
    public static CommandDefinition DumpXml => new("pool-dumpxml", "print a pool's XML definition",
        "Prints the pool as XML: the live state, or with --inactive the definition its next start will use. "
        + "--xpath prints only the nodes an XPath expression selects.",
        [
            PoolOptions.Pool,
            OptionDefinition.Flag("inactive", "the definition for the next start"),
            OptionDefinition.Str("xpath", "print only the nodes this XPath expression selects", namedOnly: true),
            OptionDefinition.Flag("wrap", "put the selected nodes inside one <nodes> element"),
        ],
        RunDumpXml);

    public static CommandDefinition Capabilities => new("pool-capabilities", "show which pool types are supported",
        "Prints, as XML, the pool types this host can use and the source and volume formats of each.",
        [],
        RunCapabilities);

    public static CommandDefinition FindSources => new("find-storage-pool-sources", "discover sources for a pool type",
        "Asks the backend of a pool type which sources it can see, optionally narrowed by a <source> XML file; prints a <sources> document.",
        [
            OptionDefinition.Data("type", "pool type to discover sources for").Taking(new(ValueKind.PoolType)),
            OptionDefinition.Str("srcSpec", "file with a <source> element narrowing the search").Taking(OptionValues.Files),
        ],
        RunFindSources);

    public static CommandDefinition FindSourcesAs => new("find-storage-pool-sources-as", "discover sources for a pool type on a host",
        "Like find-storage-pool-sources, with the host, port and initiator given as options.",
        [
            OptionDefinition.Data("type", "pool type to discover sources for").Taking(new(ValueKind.PoolType)),
            OptionDefinition.Str("host", "host to ask"),
            OptionDefinition.Str("port", "port on that host"),
            OptionDefinition.Str("initiator", "iSCSI initiator IQN to ask with"),
        ],
        RunFindSourcesAs);

    private static bool RunDumpXml(CommandContext context, ParsedCommand command)
    {
        bool inactive = command.Flag("inactive");
        string? xpath = command.String("xpath");
        bool wrap = command.Flag("wrap");
        var pool = PoolLookup.Find(context, command);
        string xml = context.Host.Pools.GetXml(pool.Name, inactive);
        context.Output.Print(xpath is null ? xml : XPathPrinter.Print(xml, xpath, wrap, "pool"));
        return true;
    }

    private static bool RunCapabilities(CommandContext context, ParsedCommand command)
    {
        string caps = EngineCall.Run("failed to get storage pool capabilities", () => context.Host.Pools.GetCapabilitiesXml());
        context.Output.Print(caps + "\n");
        return true;
    }

    private static bool RunFindSources(CommandContext context, ParsedCommand command)
    {
        string type = command.Required("type");
        string? specFile = command.String("srcSpec");
        string? spec = specFile is null ? null : UserFile.ReadXml(specFile);
        return PrintSources(context, type, spec);
    }

    private static bool RunFindSourcesAs(CommandContext context, ParsedCommand command)
    {
        string type = command.Required("type");
        string? host = command.String("host");
        string? port = command.String("port");
        string? initiator = command.String("initiator");
        return PrintSources(context, type, PoolArgumentsXml.BuildSourceSpec(new PoolSourceQuery(host, port, initiator)));
    }

    private static bool PrintSources(CommandContext context, string type, string? spec)
    {
        string sources = EngineCall.Run($"Failed to find any {type} pool sources", () => context.Host.Pools.FindSources(type, spec));
        context.Output.Print(sources);
        return true;
    }
}
