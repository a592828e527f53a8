using KvmStor.Cli.Parsing;
using KvmStor.Model;

namespace KvmStor.Cli.Commands;

/// <summary>Options several pool commands share, with kvmstor's own help wording.</summary>
public static class PoolOptions
{
    public static OptionDefinition Pool => PoolIn(PoolStates.Any);

    /// <summary>The pool argument of a command that needs its pool in <paramref name="states"/> (what completion offers).</summary>
    public static OptionDefinition PoolIn(PoolStates states) =>
        OptionDefinition.Data(PoolLookup.PoolOption, "name or UUID of the pool").Taking(OptionValues.Pools(states));

    public static OptionDefinition File => OptionDefinition.Data("file", "XML file holding the pool definition").Taking(OptionValues.Files);
    public static OptionDefinition Build => OptionDefinition.Flag("build", "build the pool before starting it");
    public static OptionDefinition NoOverwrite => OptionDefinition.Flag("no-overwrite", "build only if no data would be overwritten");
    public static OptionDefinition Overwrite => OptionDefinition.Flag("overwrite", "build even over existing data");
    /// <summary>kvmstor's override of the guest-use protection (libvirt has no protection to override).</summary>
    public static OptionDefinition Force => OptionDefinition.Flag("force", "go ahead even though a defined guest uses it (kvmstor only)");
    public static OptionDefinition Json => OptionDefinition.Flag("json", "print JSON instead of text");

    /// <summary>--build/--overwrite/--no-overwrite of pool-start, pool-create and pool-create-as (overwrite flags imply a build).</summary>
    public static PoolBuildFlags StartFlags(ParsedCommand command)
    {
        command.Exclusive("overwrite", "no-overwrite");
        var flags = PoolBuildFlags.None;
        if (command.Flag("build")) flags |= PoolBuildFlags.Build;
        if (command.Flag("overwrite")) flags |= PoolBuildFlags.Build | PoolBuildFlags.Overwrite;
        if (command.Flag("no-overwrite")) flags |= PoolBuildFlags.Build | PoolBuildFlags.NoOverwrite;
        return flags;
    }
}
