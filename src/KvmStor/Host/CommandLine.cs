using System.Text;

namespace KvmStor.Host;

/// <summary>
/// An external command as a value: program, arguments, extra environment. Backends build these so that
/// tests can compare them with libvirt's golden .argv files and replay recorded output.
/// </summary>
public sealed record CommandLine(string Program, IReadOnlyList<string> Arguments)
{
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
    /// <summary>Bytes written to the command's standard input, if any.</summary>
    public byte[]? StandardInput { get; init; }
    /// <summary>When set, the runner ends the command (and everything it started) once the bound passes, and fails the run.</summary>
    public CommandTimeLimit? TimeLimit { get; init; }

    public CommandLine(string program, params string[] arguments) : this(program, (IReadOnlyList<string>)arguments) { }

    public CommandLine WithEnvironment(string name, string value)
    {
        var env = new Dictionary<string, string>(Environment) { [name] = value };
        return this with { Environment = env };
    }

    /// <summary>The same command, bounded in time (a wait on a server that may never answer).</summary>
    public CommandLine Within(CommandTimeLimit limit) => this with { TimeLimit = limit };

    /// <summary>
    /// The command as libvirt's virCommandToStringFull(linebreaks=true, stripCommandPath=true) renders it:
    /// the program's base name, then every argument on its own line ending in " \", except that an
    /// option's value stays on the option's line.
    /// </summary>
    public string ToArgvString()
    {
        var sb = new StringBuilder(Path.GetFileName(Program));
        string? previous = null;
        foreach (var arg in Arguments)
        {
            bool joinsOption = previous is not null && previous.StartsWith('-') && !arg.StartsWith('-');
            sb.Append(joinsOption ? " " : " \\\n");
            sb.Append(Quote(arg));
            previous = arg;
        }
        return sb.Append('\n').ToString();
    }

    /// <summary>One-line shell rendering, as libvirt shows a failed child's command line.</summary>
    public override string ToString() =>
        string.Join(' ', new[] { Program }.Concat(Arguments).Select(Quote));

    private static string Quote(string s)
    {
        if (s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || "@%+=:,./-_#".Contains(c)))
            return s;
        return "'" + s.Replace("'", "'\\''") + "'";
    }
}

public sealed record CommandResult(int ExitCode, string StandardOutput, string StandardError)
{
    public bool Success => ExitCode == 0;
}
