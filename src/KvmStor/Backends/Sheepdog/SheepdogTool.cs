using KvmStor.Host;

namespace KvmStor.Backends.Sheepdog;

/// <summary>Runs dog through the command runner, and says so plainly when it is not installed.</summary>
public sealed class SheepdogTool(ICommandRunner runner)
{
    public CommandResult Run(CommandLine command)
    {
        if (!runner.Exists(command.Program))
            throw StorageException.Internal(
                $"Cannot find '{command.Program}' in path: the sheepdog client is not installed (Debian 12 does not package sheepdog)");
        return runner.RunChecked(command);
    }

    /// <summary>Clean-up steps: a failure is handed back, not thrown, so that the error that made the clean-up necessary is the one reported.</summary>
    public bool TryRun(CommandLine command) => runner.Exists(command.Program) && runner.Run(command).Success;
}
