using KvmStor.Host;

namespace KvmStor.Tests.Backends;

/// <summary>
/// The one command runner of the tests: replays scripted results for the commands a test expects, compared as their
/// one-line shell rendering, and fails the test on any other command. Kinds of answers, mixable:
/// <see cref="Expect"/> scripts commands that must run in that order (<see cref="AssertDone"/> checks they all ran);
/// <see cref="On"/> and <see cref="Answer"/> give an answer whenever (and however often) the command runs;
/// <see cref="AnswerAny"/> answers every command of one program (for arguments a test cannot know, such as a
/// descriptor path); <see cref="Hang"/> makes a command wait as one does on a dead server, until its time limit passes
/// (then it fails as the real runner fails it) or its run is cancelled, and fails the test when it has no limit.
/// Records every command run, in order, as text (<see cref="Ran"/>) and as the value (<see cref="Commands"/>).
/// </summary>
public class ReplayRunner : ICommandRunner
{
    private readonly Queue<(string Command, CommandResult Result)> _script = new();
    private readonly Dictionary<string, CommandResult> _answers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CommandResult> _programAnswers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _hanging = new(StringComparer.Ordinal);
    private readonly HashSet<string>? _installed;

    /// <param name="installed">The only programs <see cref="Exists"/> reports; none given: every program but <see cref="Missing"/>.</param>
    public ReplayRunner(params string[] installed) =>
        _installed = installed.Length > 0 ? new HashSet<string>(installed, StringComparer.Ordinal) : null;

    public List<string> Ran { get; } = [];

    public List<CommandLine> Commands { get; } = [];

    /// <summary>Programs <see cref="Exists"/> denies, to test a host without a tool.</summary>
    public HashSet<string> Missing { get; } = [];

    /// <summary>Called with each command line before its answer is given (e.g. to change the scene a command changes).</summary>
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

    /// <summary>Whenever any command of <paramref name="program"/> runs (and nothing more specific answers it), it answers so.</summary>
    public ReplayRunner AnswerAny(string program, int exitCode, string stdout = "", string stderr = "")
    {
        _programAnswers[program] = new CommandResult(exitCode, stdout, stderr);
        return this;
    }

    /// <summary>The command with this one-line rendering never answers: it must carry a time limit.</summary>
    public ReplayRunner Hang(string commandLine)
    {
        lock (_hanging) _hanging.Add(commandLine);
        return this;
    }

    public CommandResult Run(CommandLine command, CancellationToken cancellation = default)
    {
        string line = command.ToString();
        lock (Ran)
        {
            Ran.Add(line);
            Commands.Add(command);
        }
        cancellation.ThrowIfCancellationRequested();
        OnRun?.Invoke(line);
        bool hangs;
        lock (_hanging) hangs = _hanging.Contains(line);
        if (hangs) return WaitForever(command, cancellation);
        lock (_script)
        {
            if (_script.TryPeek(out var next) && next.Command == line) return _script.Dequeue().Result;
            if (_answers.TryGetValue(line, out var answer)) return answer;
            if (_programAnswers.TryGetValue(command.Program, out var any)) return any;
            // Not expected here: name what was expected instead, if anything.
            Assert.True(_script.Count > 0, $"unexpected command: {line}");
            Assert.Equal(next.Command, line);
            throw new Xunit.Sdk.XunitException($"unexpected command: {line}");
        }
    }

    public bool Exists(string program) => (_installed?.Contains(program) ?? true) && !Missing.Contains(program);

    /// <summary>Every command scripted with <see cref="Expect"/> ran.</summary>
    public void AssertDone() => Assert.True(_script.Count == 0, $"commands not run: {string.Join(" | ", _script.Select(s => s.Command))}");

    /// <summary>What the real runner does with a command that never ends: waits out the limit or the cancellation.</summary>
    private static CommandResult WaitForever(CommandLine command, CancellationToken cancellation)
    {
        if (command.TimeLimit is not { } limit)
            throw new Xunit.Sdk.XunitException($"'{command}' hangs and has no time limit: it would wait forever");
        cancellation.WaitHandle.WaitOne(limit.Bound);
        cancellation.ThrowIfCancellationRequested();
        throw limit.Expired();
    }
}
