using KvmStor.Cli.Parsing;
using KvmStor.Xml;

namespace KvmStor.Cli.Commands;

/// <summary>pool-define, pool-define-as, pool-create, pool-create-as: new pools from a file or from options.</summary>
public static class PoolDefineCommands
{
    public static CommandDefinition Define => new("pool-define", "define a persistent pool from an XML file",
        "Adds a persistent pool, inactive, or replaces the definition of an existing one (a running pool uses it from its next start).",
        [PoolOptions.File, OptionDefinition.Flag("validate", "check the document before defining")],
        RunDefine);

    public static CommandDefinition DefineAs => new("pool-define-as", "define a persistent pool from options",
        "Like pool-define, but the XML is made from the options; --print-xml shows it without defining anything.",
        PoolArgumentOptions.Options(),
        RunDefineAs);

    public static CommandDefinition Create => new("pool-create", "start a transient pool from an XML file",
        "Starts a pool that has no persistent definition: it disappears when it is stopped.",
        [PoolOptions.File, PoolOptions.Build, PoolOptions.NoOverwrite, PoolOptions.Overwrite],
        RunCreate);

    public static CommandDefinition CreateAs => new("pool-create-as", "start a transient pool from options",
        "Like pool-create, but the XML is made from the options; --print-xml shows it without creating anything.",
        [.. PoolArgumentOptions.Options(), PoolOptions.Build, PoolOptions.NoOverwrite, PoolOptions.Overwrite],
        RunCreateAs);

    private static bool RunDefine(CommandContext context, ParsedCommand command)
    {
        string file = command.Required("file");
        string xml = UserFile.ReadXml(file);
        string failure = $"Failed to define pool from {file}";
        if (command.Flag("validate"))
            EngineCall.Run(failure, () => SafeXml.Parse(xml, "storage_pool_definition"));
        var pool = EngineCall.Run(failure, () => context.Host.Pools.Define(xml));
        context.Output.PrintExtra($"Pool {pool.Name} defined from {file}\n");
        return true;
    }

    private static bool RunCreate(CommandContext context, ParsedCommand command)
    {
        var flags = PoolOptions.StartFlags(command);
        string file = command.Required("file");
        string xml = UserFile.ReadXml(file);
        var pool = EngineCall.Run($"Failed to create pool from {file}", () => context.Host.Pools.Create(xml, flags));
        context.Output.PrintExtra($"Pool {pool.Name} created from {file}\n");
        return true;
    }

    private static bool RunDefineAs(CommandContext context, ParsedCommand command)
    {
        var arguments = PoolArgumentOptions.From(command);
        string xml = PoolArgumentsXml.BuildPool(arguments);
        if (command.Flag("print-xml"))
        {
            context.Output.Print(xml);
            return true;
        }
        EngineCall.Run($"Failed to define pool {arguments.Name}", () => context.Host.Pools.Define(xml));
        context.Output.PrintExtra($"Pool {arguments.Name} defined\n");
        return true;
    }

    private static bool RunCreateAs(CommandContext context, ParsedCommand command)
    {
        var flags = PoolOptions.StartFlags(command);
        var arguments = PoolArgumentOptions.From(command);
        string xml = PoolArgumentsXml.BuildPool(arguments);
        if (command.Flag("print-xml"))
        {
            context.Output.Print(xml);
            return true;
        }
        EngineCall.Run($"Failed to create pool {arguments.Name}", () => context.Host.Pools.Create(xml, flags));
        context.Output.PrintExtra($"Pool {arguments.Name} created\n");
        return true;
    }
}
