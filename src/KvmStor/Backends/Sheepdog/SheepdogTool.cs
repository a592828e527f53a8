using KvmStor.Host;

namespace KvmStor.Backends.Sheepdog;

/// <summary>
/// Runs dog through the command runner, and says so plainly when it is not installed. dog waits for the cluster, so
/// each run has a network time limit (KVMSTOR_NETWORK_TIMEOUT unless given): a dead sheep daemon fails the command
/// instead of hanging it, and the dog is ended.
/// </summary>
public sealed class SheepdogTool(ICommandRunner runner, TimeSpan? networkLimit = null)
{
    public CommandResult Run(CommandLine command)
    {
        if (!runner.Exists(command.Program))
            throw StorageException.Internal(
                $"Cannot find '{command.Program}' in path: the sheepdog client is not installed (Debian 12 does not package sheepdog)");
        return runner.RunChecked(Bounded(command));
    }

    /// <summary>Clean-up steps: a failure is handed back, not thrown, so that the error that made the clean-up necessary is the one reported.</summary>
    public bool TryRun(CommandLine command)
    {
        if (!runner.Exists(command.Program)) return false;
        try { return runner.Run(Bounded(command)).Success; }
        catch (StorageException) { return false; }
    }

    // The error code supplies "Timed out during operation: "; the command line says what was waited for.
    private CommandLine Bounded(CommandLine command) => command.Within(CommandTimeLimit.Network(command.ToString(), networkLimit));
}
