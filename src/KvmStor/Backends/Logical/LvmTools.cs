using KvmStor.Host;

namespace KvmStor.Backends.Logical;

/// <summary>Runs lvm's programs through the command runner, and says which Debian package to install when one is missing.</summary>
public sealed class LvmTools(ICommandRunner runner)
{
    public const string DebianPackage = "lvm2";

    public ICommandRunner Runner { get; } = runner;

    /// <summary>Runs the command and throws libvirt's "Child process (…) unexpected exit status" on failure.</summary>
    public CommandResult Run(CommandLine command)
    {
        RequireInstalled(command.Program);
        return Runner.RunChecked(command);
    }

    /// <summary>Runs the command and hands back a failure instead of throwing (clean-up steps, retries).</summary>
    public CommandResult TryRun(CommandLine command)
    {
        RequireInstalled(command.Program);
        return Runner.Run(command);
    }

    private void RequireInstalled(string program)
    {
        if (!Runner.Exists(program))
            throw StorageException.Internal(
                $"Cannot find '{program}' in path: LVM tools are not installed (install the Debian package {DebianPackage})");
    }
}
