namespace KvmStor.Cli.Parsing;

/// <summary>
/// A failed command as virsh reports it: an optional line of its own ("Failed to start pool p1"), then the
/// engine's error ("Requested operation is not valid: …"). Each is printed on stderr after "error: ".
/// </summary>
public sealed class CommandError : Exception
{
    public string? VirshLine { get; }
    public StorageException? Cause { get; }

    public CommandError(string? virshLine, StorageException? cause = null)
        : base(virshLine ?? cause?.Display ?? "command failed", cause)
    {
        VirshLine = virshLine;
        Cause = cause;
    }
}

/// <summary>A syntax error found before anything ran (printed as one "error: " line; no command runs).</summary>
public sealed class SyntaxError(string message) : Exception(message);
