namespace KvmStor.Host;

/// <summary>The one way kvmstor runs external programs; tests substitute a recorder or a replayer.</summary>
public interface ICommandRunner
{
    /// <summary>Runs the command and returns its exit code and output; never throws for a non-zero exit.</summary>
    CommandResult Run(CommandLine command);

    /// <summary>Whether the program can be found (absolute path, or on PATH).</summary>
    bool Exists(string program);
}

public static class CommandRunnerExtensions
{
    /// <summary>
    /// Runs the command and throws libvirt's "Child process (…) unexpected exit status N: stderr" on failure.
    /// </summary>
    public static CommandResult RunChecked(this ICommandRunner runner, CommandLine command)
    {
        var result = runner.Run(command);
        if (!result.Success)
        {
            string err = (result.StandardError.Length > 0 ? result.StandardError : result.StandardOutput).TrimEnd('\n');
            throw StorageException.Internal(
                $"Child process ({command}) unexpected exit status {result.ExitCode}" + (err.Length > 0 ? ": " + err : ""));
        }
        return result;
    }
}
