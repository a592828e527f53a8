using KvmStor.Cli.Parsing;
using KvmStor.Engine;

namespace KvmStor.Cli.Commands;

/// <summary>A command's volume options, handed to the engine's lookup rules (<see cref="Lookups.VolumeArgument"/>).</summary>
public static class VolumeLookup
{
    public const string VolOption = "vol";
    public const string PoolOption = "pool";

    /// <summary>The volume named by option <paramref name="volOption"/>, narrowed by option <paramref name="poolOption"/> (null: the command has none).</summary>
    public static VolumeHandle Find(CommandContext context, ParsedCommand command, string volOption = VolOption, string? poolOption = PoolOption)
    {
        string word = command.Required(volOption);
        string? poolWord = poolOption is null ? null : command.String(poolOption);
        return PoolLookup.Reported(() => context.Host.Lookup.VolumeArgument(word, poolWord, poolOption));
    }

    /// <summary>vol-create-as --backing-vol: name in the target pool, then key, then path; the volume's path is what is used.</summary>
    public static VolumeHandle FindBacking(CommandContext context, string poolName, string word) =>
        PoolLookup.Reported(() => context.Host.Lookup.BackingVolumeArgument(poolName, word));
}
