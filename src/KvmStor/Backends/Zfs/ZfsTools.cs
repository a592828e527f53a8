using KvmStor.Host;

namespace KvmStor.Backends.Zfs;

/// <summary>Runs zfs and zpool through the command runner, naming the Debian package when they are missing.</summary>
public sealed class ZfsTools(ICommandRunner runner)
{
    public const string DebianPackage = "zfsutils-linux";

    public ICommandRunner Runner { get; } = runner;

    public CommandResult Run(CommandLine command)
    {
        RequireInstalled(command.Program);
        return Runner.RunChecked(command);
    }

    /// <summary>Hands back a failure instead of throwing (probes, clean-up).</summary>
    public CommandResult TryRun(CommandLine command)
    {
        RequireInstalled(command.Program);
        return Runner.Run(command);
    }

    private void RequireInstalled(string program)
    {
        if (!Runner.Exists(program))
            throw StorageException.Internal(
                $"Cannot find '{program}' in path: ZFS tools are not installed (install the Debian package {DebianPackage}, from contrib)");
    }
}
