using System.Runtime.CompilerServices;
using KvmStor.Host;

namespace KvmStor.Tests.Backends;

/// <summary>
/// Stands in for lvm on a machine without device-mapper: each expected command (compared as its one-line shell form)
/// answers with the output it was given, in order; anything else fails the test.
/// </summary>
public sealed class LogicalReplayRunner : ICommandRunner
{
    private readonly Queue<(string Command, CommandResult Result)> _script = new();

    public List<string> Ran { get; } = [];

    /// <summary>Programs <see cref="Exists"/> denies, to test a host without lvm2.</summary>
    public HashSet<string> Missing { get; } = [];

    /// <summary>Called with each command line before its answer is given (e.g. to hold a call past a timeout).</summary>
    public Action<string>? OnRun { get; set; }

    public LogicalReplayRunner Expect(string command, string stdout = "", int exitCode = 0, string stderr = "")
    {
        _script.Enqueue((command, new CommandResult(exitCode, stdout, stderr)));
        return this;
    }

    public LogicalReplayRunner ExpectData(string command, string dataFile) => Expect(command, LogicalData.Read(dataFile));

    public CommandResult Run(CommandLine command)
    {
        string line = command.ToString();
        Ran.Add(line);
        OnRun?.Invoke(line);
        Assert.True(_script.Count > 0, $"unexpected command: {line}");
        var (expected, result) = _script.Dequeue();
        Assert.Equal(expected, line);
        return result;
    }

    public bool Exists(string program) => !Missing.Contains(program);

    /// <summary>Every scripted command ran.</summary>
    public void AssertDone() => Assert.True(_script.Count == 0, $"commands not run: {string.Join(" | ", _script.Select(s => s.Command))}");
}

/// <summary>The replayed lvm output files in LogicalData/ (read from the source tree, next to this file).</summary>
public static class LogicalData
{
    public static string Read(string name) => File.ReadAllText(Path.Combine(Directory(), name));

    private static string Directory([CallerFilePath] string here = "") => Path.Combine(Path.GetDirectoryName(here)!, "LogicalData");
}
