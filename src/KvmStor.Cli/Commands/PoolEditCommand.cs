using KvmStor.Cli.Parsing;
using KvmStor.Engine;

namespace KvmStor.Cli.Commands;

/// <summary>pool-edit: the inactive XML in the user's editor, defined again when it changed.</summary>
public static class PoolEditCommand
{
    public static CommandDefinition Edit => new("pool-edit", "edit a pool's XML definition",
        "Opens the pool's persistent definition in $VISUAL, $EDITOR or vi, and defines the result if it changed.",
        [PoolOptions.Pool],
        RunEdit);

    private static bool RunEdit(CommandContext context, ParsedCommand command)
    {
        var pool = PoolLookup.Find(context, command);
        var host = context.Host;
        var session = new PoolEditSession(
            () => host.Pools.GetXml(pool.Name, inactive: true),
            host.Pools.Define,
            context.Services,
            context.Output);
        return session.Run(pool.Name);
    }
}
