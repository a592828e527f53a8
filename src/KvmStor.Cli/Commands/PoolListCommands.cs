using KvmStor.Cli.Output;
using KvmStor.Cli.Parsing;
using KvmStor.Engine;
using KvmStor.Model;

namespace KvmStor.Cli.Commands;

/// <summary>pool-list, pool-info, pool-uuid, pool-name.</summary>
public static class PoolListCommands
{
    public static CommandDefinition List => new("pool-list", "list pools",
        "Shows the running pools, or with filters the inactive, persistent, transient or autostarted ones, sorted by name.",
        [
            OptionDefinition.Flag("inactive", "only inactive pools"),
            OptionDefinition.Flag("all", "active and inactive pools"),
            OptionDefinition.Flag("transient", "only transient pools"),
            OptionDefinition.Flag("persistent", "only persistent pools"),
            OptionDefinition.Flag("autostart", "only pools that start at boot"),
            OptionDefinition.Flag("no-autostart", "only pools that do not start at boot"),
            OptionDefinition.Str("type", "only pools of these types (comma-separated)").Taking(new(ValueKind.PoolTypeList)),
            OptionDefinition.Flag("details", "add persistence and sizes"),
            OptionDefinition.Flag("uuid", "print UUIDs only"),
            OptionDefinition.Flag("name", "print names only"),
            PoolOptions.Json,
        ],
        RunList, SupportsJson: true);

    public static CommandDefinition Info => new("pool-info", "show a pool's state and sizes",
        "Prints the name, UUID, state, persistence, autostart and, for a running pool, its capacity, allocation and free space.",
        [PoolOptions.Pool, OptionDefinition.Flag("bytes", "sizes in bytes"), PoolOptions.Json],
        RunInfo, SupportsJson: true);

    public static CommandDefinition UuidOf => new("pool-uuid", "print the UUID of a pool",
        "",
        [OptionDefinition.Data(PoolLookup.PoolOption, "name of the pool").Taking(OptionValues.Pools(PoolStates.Any))],
        RunUuid);

    public static CommandDefinition NameOf => new("pool-name", "print the name of a pool given its UUID",
        "",
        [OptionDefinition.Data(PoolLookup.PoolOption, "UUID of the pool").Taking(new(ValueKind.PoolUuid))],
        RunName);

    /// <summary>The engine filter for pool-list's flags; pairs given together mean "either", as libvirt's flags do.</summary>
    public static PoolListFilter Filter(ParsedCommand command)
    {
        bool? active = command.Flag("all") ? null : command.Flag("inactive") ? false : true;
        var types = new HashSet<PoolType>();
        if (command.String("type") is { } typeList)
        {
            foreach (var name in typeList.Split(','))
            {
                if (!PoolTypeNames.TryParse(name, out var type))
                    throw new CommandError($"Invalid pool type '{name}'");
                types.Add(type);
            }
        }
        return new PoolListFilter
        {
            Active = active,
            Persistent = Either(command.Flag("persistent"), command.Flag("transient")),
            Autostart = Either(command.Flag("autostart"), command.Flag("no-autostart")),
            Types = types,
        };

        static bool? Either(bool yes, bool no) => yes == no ? null : yes;
    }

    private static bool RunList(CommandContext context, ParsedCommand command)
    {
        command.Exclusive("all", "inactive");
        command.Exclusive("details", "uuid");
        command.Exclusive("details", "name");
        var filter = Filter(command);
        var pools = EngineCall.Run("Failed to list pools", () => context.Host.Pools.List(filter));
        var output = context.Output;
        if (command.Flag("json")) output.Print(PoolJson.Serialize(pools));
        else if (command.Flag("details")) output.Print(PoolFormatting.DetailsTable(pools));
        else if (command.Flag("uuid") || command.Flag("name"))
            output.Print(PoolFormatting.UuidsAndNames(pools, command.Flag("uuid"), command.Flag("name")));
        else output.Print(PoolFormatting.Table(pools));
        return true;
    }

    private static bool RunInfo(CommandContext context, ParsedCommand command)
    {
        var pool = PoolLookup.Find(context, command);
        context.Output.Print(command.Flag("json") ? PoolJson.Serialize(pool) : PoolFormatting.Info(pool, command.Flag("bytes")));
        return true;
    }

    private static bool RunUuid(CommandContext context, ParsedCommand command)
    {
        var pool = PoolLookup.Find(context, command, PoolLookupBy.Name);
        context.Output.Print(pool.Uuid + "\n");
        return true;
    }

    private static bool RunName(CommandContext context, ParsedCommand command)
    {
        var pool = PoolLookup.Find(context, command, PoolLookupBy.Uuid);
        context.Output.Print(pool.Name + "\n");
        return true;
    }
}
