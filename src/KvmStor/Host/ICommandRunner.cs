namespace KvmStor.Host;

/// <summary>
/// The one way kvmstor runs external programs. The runner is handed to backends by the backend registry; tests give
/// them a replaying one.
/// </summary>
public interface ICommandRunner
{
    /// <summary>
    /// Runs the command and returns its exit code and output; never throws for a non-zero exit. When
    /// <paramref name="cancellation"/> fires, the program and everything it started are ended and the call throws
    /// <see cref="OperationCanceledException"/>; when the command's <see cref="CommandLine.TimeLimit"/> passes, the
    /// same happens and the call throws the limit's "Timed out during operation" error.
    /// </summary>
    CommandResult Run(CommandLine command, CancellationToken cancellation = default);

    /// <summary>Whether the program can be found (absolute path, or on PATH).</summary>
    bool Exists(string program);
}

public static class CommandRunnerExtensions
{
    /// <summary>
    /// Runs the command and throws libvirt's "Child process (…) unexpected exit status N: stderr" on failure.
    /// </summary>
    public static CommandResult RunChecked(this ICommandRunner runner, CommandLine command, CancellationToken cancellation = default)
    {
        var result = runner.Run(command, cancellation);
        if (!result.Success)
        {
            string err = (result.StandardError.Length > 0 ? result.StandardError : result.StandardOutput).TrimEnd('\n');
            throw StorageException.Internal(
                $"Child process ({command}) unexpected exit status {result.ExitCode}" + (err.Length > 0 ? ": " + err : ""));
        }
        return result;
    }
}
