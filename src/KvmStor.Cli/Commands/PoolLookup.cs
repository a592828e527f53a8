using KvmStor.Cli.Parsing;
using KvmStor.Engine;

namespace KvmStor.Cli.Commands;

/// <summary>How a command's pool argument may be matched (virsh's VIRSH_BYNAME / VIRSH_BYUUID).</summary>
public enum PoolLookupBy { NameOrUuid, Name, Uuid }

/// <summary>Pool lookup with virsh's error: "failed to get pool 'x'" followed by the engine's reason.</summary>
public static class PoolLookup
{
    public const string PoolOption = "pool";
    private const int UuidStringLength = 36;

    public static PoolInfo Find(CommandContext context, ParsedCommand command, PoolLookupBy by = PoolLookupBy.NameOrUuid)
        => Find(context, command.Required(PoolOption), by);

    public static PoolInfo Find(CommandContext context, string argument, PoolLookupBy by = PoolLookupBy.NameOrUuid)
    {
        // By UUID only: virsh does not even ask when the word cannot be a UUID, so no second line follows.
        if (by == PoolLookupBy.Uuid && argument.Length != UuidStringLength)
            throw new CommandError($"failed to get pool '{argument}'");
        try
        {
            var host = context.Host;
            return by switch
            {
                PoolLookupBy.Name => host.LookupPoolByName(argument),
                PoolLookupBy.Uuid => host.LookupPoolByUuid(argument),
                _ => host.LookupPool(argument),
            };
        }
        catch (StorageException e)
        {
            throw new CommandError($"failed to get pool '{argument}'", e);
        }
    }
}
