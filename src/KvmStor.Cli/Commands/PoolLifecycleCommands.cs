using KvmStor.Cli.Parsing;
using KvmStor.Model;

namespace KvmStor.Cli.Commands;

/// <summary>pool-build, pool-start, pool-destroy, pool-delete, pool-undefine, pool-autostart, pool-refresh.</summary>
public static class PoolLifecycleCommands
{
    public static CommandDefinition Autostart => new("pool-autostart", "turn autostart of a pool on or off",
        "Makes the pool start automatically when the host boots, or with --disable stops doing so.",
        [PoolOptions.PoolIn(PoolStates.Persistent), OptionDefinition.Flag("disable", "turn autostart off")],
        RunAutostart);

    public static CommandDefinition Build => new("pool-build", "prepare the storage of a pool",
        "Creates what the pool needs on the host (directory, file system, label, volume group) before it can start.",
        [PoolOptions.PoolIn(PoolStates.Inactive), PoolOptions.NoOverwrite, PoolOptions.Overwrite],
        RunBuild);

    public static CommandDefinition Start => new("pool-start", "start a defined pool",
        "Activates an inactive persistent pool, building it first with --build.",
        [PoolOptions.PoolIn(PoolStates.Inactive), PoolOptions.Build, PoolOptions.NoOverwrite, PoolOptions.Overwrite],
        RunStart);

    public static CommandDefinition Destroy => new("pool-destroy", "stop a pool",
        "Deactivates a running pool; its data stays where it is. A transient pool disappears.",
        [PoolOptions.PoolIn(PoolStates.Active)],
        (c, p) => Simple(c, p, "destroy", "destroyed", (pools, name) => pools.Destroy(name)));

    public static CommandDefinition Delete => new("pool-delete", "remove the storage of a pool",
        "Removes what pool-build created (directory, label, volume group). The definition is kept. "
        + "Refused while a defined guest uses one of the pool's volumes, unless --force.",
        [PoolOptions.PoolIn(PoolStates.Inactive), PoolOptions.Force],
        (c, p) => Simple(c, p, "delete", "deleted", (pools, name) => pools.Delete(name, p.Flag("force"))));

    public static CommandDefinition Undefine => new("pool-undefine", "forget an inactive pool",
        "Removes the persistent definition of a pool that is not running. "
        + "Refused while a defined guest uses one of the pool's volumes, unless --force.",
        [PoolOptions.PoolIn(PoolStates.Inactive), PoolOptions.Force],
        RunUndefine);

    public static CommandDefinition Refresh => new("pool-refresh", "rescan a pool",
        "Reads the pool's volumes and sizes again from the storage.",
        [PoolOptions.PoolIn(PoolStates.Active)],
        (c, p) => Simple(c, p, "refresh", "refreshed", (pools, name) => pools.Refresh(name)));

    private static bool Simple(CommandContext context, ParsedCommand command, string verb, string done,
        Action<Engine.PoolService, string> action, Action<ParsedCommand>? checkAfterLookup = null)
    {
        string argument = command.Required(PoolLookup.PoolOption);
        var pool = PoolLookup.Find(context, argument);
        checkAfterLookup?.Invoke(command);
        EngineCall.Run($"Failed to {verb} pool {argument}", () => action(context.Host.Pools, pool.Name));
        context.Output.PrintExtra($"Pool {argument} {done}\n");
        return true;
    }

    private static bool RunBuild(CommandContext context, ParsedCommand command)
    {
        var flags = PoolBuildFlags.None;
        if (command.Flag("no-overwrite")) flags |= PoolBuildFlags.NoOverwrite;
        if (command.Flag("overwrite")) flags |= PoolBuildFlags.Overwrite;
        // Both flags together reach the engine, which refuses them as libvirt's backends do.
        return Simple(context, command, "build", "built", (pools, name) => pools.Build(name, flags));
    }

    private static bool RunStart(CommandContext context, ParsedCommand command)
    {
        // virsh 9.0 looks the pool up before it checks --overwrite against --no-overwrite.
        var flags = PoolBuildFlags.None;
        return Simple(context, command, "start", "started", (pools, name) => pools.Start(name, flags),
            checkAfterLookup: c => flags = PoolOptions.StartFlags(c));
    }

    private static bool RunUndefine(CommandContext context, ParsedCommand command)
    {
        string argument = command.Required(PoolLookup.PoolOption);
        var pool = PoolLookup.Find(context, argument);
        EngineCall.Run($"Failed to undefine pool {argument}", () => context.Host.Pools.Undefine(pool.Name, command.Flag("force")));
        context.Output.PrintExtra($"Pool {argument} has been undefined\n");
        return true;
    }

    private static bool RunAutostart(CommandContext context, ParsedCommand command)
    {
        string argument = command.Required(PoolLookup.PoolOption);
        bool enable = !command.Flag("disable");
        var pool = PoolLookup.Find(context, argument);
        EngineCall.Run(enable ? $"failed to mark pool {argument} as autostarted" : $"failed to unmark pool {argument} as autostarted",
            () => context.Host.Pools.SetAutostart(pool.Name, enable));
        context.Output.PrintExtra(enable ? $"Pool {argument} marked as autostarted\n" : $"Pool {argument} unmarked as autostarted\n");
        return true;
    }
}
