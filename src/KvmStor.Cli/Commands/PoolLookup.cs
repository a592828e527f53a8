using KvmStor.Cli.Parsing;
using KvmStor.Engine;

namespace KvmStor.Cli.Commands;

/// <summary>A command's pool argument, handed to the engine's lookup rules (<see cref="Lookups.PoolArgument"/>).</summary>
public static class PoolLookup
{
    public const string PoolOption = "pool";

    public static PoolInfo Find(CommandContext context, ParsedCommand command, PoolLookupBy by = PoolLookupBy.NameOrUuid)
        => Find(context, command.Required(PoolOption), by);

    public static PoolInfo Find(CommandContext context, string argument, PoolLookupBy by = PoolLookupBy.NameOrUuid) =>
        Reported(() =>
        {
            Lookups.CheckPoolArgumentShape(argument, by); // before the connection is opened: such a word needs none
            return context.Host.Lookup.PoolArgument(argument, by);
        });

    /// <summary>Runs an engine lookup; its failure becomes virsh's two lines (the lookup's own, then the reason).</summary>
    internal static T Reported<T>(Func<T> lookup)
    {
        try
        {
            return lookup();
        }
        catch (LookupFailedException e)
        {
            throw new CommandError(e.Message, e.Reason);
        }
    }
}
