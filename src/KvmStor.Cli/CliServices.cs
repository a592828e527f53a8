using KvmStor.Cli.Commands;
using KvmStor.Engine;

namespace KvmStor.Cli;

/// <summary>
/// What the CLI needs from the world beyond stdout/stderr, replaceable by tests: environment variables, the
/// engine, the editor, the terminal and Ctrl+C.
/// </summary>
public sealed class CliServices
{
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Opens the engine for a connection URI (null: the default connection).</summary>
    public Func<string?, StorageHost> OpenHost { get; init; } = HostConnection.Open;

    /// <summary>Runs the user's editor on a file and waits for it (pool-edit).</summary>
    public Action<string, IReadOnlyDictionary<string, string>> RunEditor { get; init; } = EditorLauncher.Run;

    /// <summary>Whether stdin is a terminal: pool-edit only asks "Try again?" on one.</summary>
    public bool StdinIsTerminal { get; init; }

    /// <summary>Whether stderr is a terminal: long volume operations draw a progress bar there only then.</summary>
    public bool StderrIsTerminal { get; init; }

    /// <summary>Standard input as bytes (secret-set-value reads a value piped to it).</summary>
    public Func<Stream> OpenStdin { get; init; } = Console.OpenStandardInput;

    /// <summary>Reads one line from the terminal without echo (secret-set-value --interactive).</summary>
    public Func<string?> ReadHiddenLine { get; init; } = ConsoleHiddenLine.Read;

    /// <summary>Reads one key press without echo (pool-edit's retry question).</summary>
    public Func<char> ReadKey { get; init; } = () => '\0';

    /// <summary>Ctrl+C, for commands that wait (pool-event's loop) or run long (volume copies, wipes).</summary>
    public InterruptSignal Interrupt { get; init; } = new();

    /// <summary>
    /// Called once by <see cref="Cli.Run(string[], TextWriter, TextWriter, CliServices)"/> before its first effect
    /// anyone could see: any output (help, version, a syntax error) and any command. Run by ./kvmstor, the wrapper's
    /// up-to-date check ends here, and a changed source rebuilds (an exec) instead of returning.
    /// </summary>
    public Action BeforeFirstEffect { get; init; } = static () => { };

    public string? Variable(string name) => Environment.TryGetValue(name, out var v) && v.Length > 0 ? v : null;

    /// <summary>The real process's services.</summary>
    public static CliServices FromProcess(InterruptSignal interrupt, Action? beforeFirstEffect = null)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry entry in System.Environment.GetEnvironmentVariables())
            env[(string)entry.Key] = (string?)entry.Value ?? "";
        return new CliServices
        {
            Environment = env,
            StdinIsTerminal = !Console.IsInputRedirected,
            StderrIsTerminal = !Console.IsErrorRedirected,
            ReadKey = () => Console.ReadKey(intercept: true).KeyChar,
            Interrupt = interrupt,
            OpenHost = uri => HostConnection.Open(uri, interrupt.Ending),
            BeforeFirstEffect = beforeFirstEffect ?? (static () => { }),
        };
    }
}
