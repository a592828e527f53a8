using KvmStor.Cli.Parsing;
using KvmStor.Engine;

namespace KvmStor.Cli.Commands;

/// <summary>
/// virsh's volume lookup: with a pool option, the pool must exist and run, and the word is tried as a volume name
/// in it; then (always) as a key and as a path across all pools. The error names the word, hints at the pool
/// option when it was not given, and is followed by the engine's last reason.
/// </summary>
public static class VolumeLookup
{
    public const string VolOption = "vol";
    public const string PoolOption = "pool";

    /// <summary>The volume named by option <paramref name="volOption"/>, narrowed by option <paramref name="poolOption"/> (null: the command has none).</summary>
    public static VolumeHandle Find(CommandContext context, ParsedCommand command, string volOption = VolOption, string? poolOption = PoolOption)
    {
        string word = command.Required(volOption);
        string? poolWord = poolOption is null ? null : command.String(poolOption);
        PoolInfo? pool = null;
        if (poolWord is not null)
        {
            pool = PoolLookup.Find(context, poolWord);
            if (!pool.Active) throw new CommandError($"pool '{poolWord}' is not active");
        }

        var host = context.Host;
        StorageException? last = null;
        VolumeHandle? found = null;
        if (pool is not null) found = Try(() => host.LookupVolumeByName(pool.Name, word), ref last);
        found ??= Try(() => host.LookupVolumeByKeyOrPath(word), ref last);

        if (found is null)
        {
            string line = pool is not null || poolOption is null
                ? $"failed to get vol '{word}'"
                : $"failed to get vol '{word}', specifying --{poolOption} might help";
            throw new CommandError(line, last);
        }
        if (pool is not null && found.PoolName != pool.Name)
            throw new CommandError($"Requested volume '{word}' is not in pool '{pool.Name}'");
        return found;
    }

    /// <summary>vol-create-as --backing-vol: name in the target pool, then key, then path; the volume's path is what is used.</summary>
    public static VolumeHandle FindBacking(CommandContext context, string poolName, string word)
    {
        var host = context.Host;
        StorageException? last = null;
        var found = Try(() => host.LookupVolumeByName(poolName, word), ref last)
            ?? Try(() => host.LookupVolumeByKeyOrPath(word), ref last);
        return found ?? throw new CommandError($"failed to get vol '{word}'", last);
    }

    private static VolumeHandle? Try(Func<VolumeHandle> lookup, ref StorageException? last)
    {
        try
        {
            return lookup();
        }
        // A server that did not answer is not a volume that does not exist: say so instead of trying the next lookup.
        catch (StorageException e) when (e.Code != ErrorCode.OperationTimeout)
        {
            last = e;
            return null;
        }
    }
}
