using KvmStor.Cli.Parsing;

namespace KvmStor.Cli.Commands;

/// <summary>
/// kvmstor has no daemon: the first command after a host boot starts the autostart pools. This command does it
/// explicitly (for the shipped systemd unit, or by hand) and reports each pool.
/// </summary>
public static class AutostartCommand
{
    public static CommandDefinition Autostart => new("autostart", "start the pools marked autostart",
        "Starts every inactive pool marked with pool-autostart. Any kvmstor command does this once after the host " +
        "boots; kvmstor-autostart.service (installed and enabled by the package) runs this command at boot so pools are up " +
        "before anyone asks.",
        [],
        Run);

    private static bool Run(CommandContext context, ParsedCommand command)
    {
        bool ok = true;
        foreach (var (pool, error) in context.Host.Pools.StartAutostartPools())
        {
            if (error is null)
            {
                context.Output.PrintExtra($"Pool {pool} started\n");
                continue;
            }
            context.Output.Error($"Failed to start pool {pool}");
            context.Output.Error(error.Display);
            ok = false;
        }
        return ok;
    }
}
