namespace KvmStor.Host;

/// <summary>
/// External programs that come in one Debian package (lvm2's lvcreate, vgs…; zfsutils' zfs, zpool): runs them through the
/// command runner and, when one is missing, fails with a message that says which package to install.
/// </summary>
/// <param name="tools">What the programs are called in that message ("LVM tools").</param>
/// <param name="installHint">How to get them ("install the Debian package lvm2").</param>
public abstract class PackagedTools(ICommandRunner runner, string tools, string installHint)
{
    public ICommandRunner Runner { get; } = runner;

    /// <summary>Runs the command and throws libvirt's "Child process (…) unexpected exit status" on failure.</summary>
    public CommandResult Run(CommandLine command)
    {
        RequireInstalled(command.Program);
        return Runner.RunChecked(command);
    }

    /// <summary>Runs the command and hands back a failure instead of throwing (probes, clean-up steps, retries).</summary>
    public CommandResult TryRun(CommandLine command)
    {
        RequireInstalled(command.Program);
        return Runner.Run(command);
    }

    private void RequireInstalled(string program)
    {
        if (!Runner.Exists(program))
            throw StorageException.Internal($"Cannot find '{program}' in path: {tools} are not installed ({installHint})");
    }
}
