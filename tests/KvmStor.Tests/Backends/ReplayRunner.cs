using KvmStor.Host;

namespace KvmStor.Tests.Backends;

/// <summary>
/// The command runner of the backend tests: replays recorded output for the commands a test expects, compared as their
/// one-line shell rendering, and fails the test on any other command. Two kinds of answers, mixable:
/// <see cref="Expect"/> scripts commands that must run in that order (<see cref="AssertDone"/> checks they all ran);
/// <see cref="On"/> and <see cref="Answer"/> give an answer whenever (and however often) the command runs.
/// Records every command run, in order.
/// </summary>
public class ReplayRunner : ICommandRunner
{
    private readonly Queue<(string Command, CommandResult Result)> _script = new();
    private readonly Dictionary<string, CommandResult> _answers = new(StringComparer.Ordinal);
    private readonly HashSet<string>? _installed;

    /// <param name="installed">The only programs <see cref="Exists"/> reports; none given: every program but <see cref="Missing"/>.</param>
    public ReplayRunner(params string[] installed) =>
        _installed = installed.Length > 0 ? new HashSet<string>(installed, StringComparer.Ordinal) : null;

    public List<string> Ran { get; } = [];

    /// <summary>Programs <see cref="Exists"/> denies, to test a host without a tool.</summary>
    public HashSet<string> Missing { get; } = [];

    /// <summary>Called with each command line before its answer is given (e.g. to hold a call past a timeout).</summary>
    public Action<string>? OnRun { get; set; }

    /// <summary>The next command in order must be <paramref name="command"/>; it answers with the given output.</summary>
    public ReplayRunner Expect(string command, string stdout = "", int exitCode = 0, string stderr = "")
    {
        _script.Enqueue((command, new CommandResult(exitCode, stdout, stderr)));
        return this;
    }

    /// <summary>Whenever the command with this one-line rendering runs, it answers so.</summary>
    public ReplayRunner On(string commandLine, int exitCode, string stdout = "", string stderr = "")
    {
        _answers[commandLine] = new CommandResult(exitCode, stdout, stderr);
        return this;
    }

    /// <summary>Whenever <paramref name="command"/> runs, it answers so.</summary>
    public ReplayRunner Answer(CommandLine command, string stdout, int exitCode = 0, string stderr = "") =>
        On(command.ToString(), exitCode, stdout, stderr);

    public CommandResult Run(CommandLine command)
    {
        string line = command.ToString();
        Ran.Add(line);
        OnRun?.Invoke(line);
        if (_script.TryPeek(out var next) && next.Command == line) return _script.Dequeue().Result;
        if (_answers.TryGetValue(line, out var answer)) return answer;
        // Not expected here: name what was expected instead, if anything.
        Assert.True(_script.Count > 0, $"unexpected command: {line}");
        Assert.Equal(next.Command, line);
        throw new Xunit.Sdk.XunitException($"unexpected command: {line}");
    }

    public bool Exists(string program) => (_installed?.Contains(program) ?? true) && !Missing.Contains(program);

    /// <summary>Every command scripted with <see cref="Expect"/> ran.</summary>
    public void AssertDone() => Assert.True(_script.Count == 0, $"commands not run: {string.Join(" | ", _script.Select(s => s.Command))}");
}
