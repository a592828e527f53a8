using KvmStor.Host;

namespace KvmStor.Tests.Backends;

/// <summary>Recorded parted/blkid/lsblk output (DiskData/, captured on this kind of machine) and a runner that replays it.</summary>
internal static class DiskData
{
    private static readonly string Folder = Locate();

    public static string Read(string name) => File.ReadAllText(Path.Combine(Folder, name));

    private static string Locate()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "KvmStor.Tests", "Backends", "DiskData");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException("tests/KvmStor.Tests/Backends/DiskData not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>Answers commands by their one-line rendering; records every command run; unknown commands fail the test.</summary>
internal sealed class DiskReplayRunner : ICommandRunner
{
    private readonly Dictionary<string, CommandResult> _answers = new();
    public List<string> Ran { get; } = [];
    public HashSet<string> Missing { get; } = [];
    public Action<string>? OnRun { get; set; }

    public DiskReplayRunner Answer(CommandLine command, string stdout, int exitCode = 0, string stderr = "")
    {
        _answers[command.ToString()] = new CommandResult(exitCode, stdout, stderr);
        return this;
    }

    public CommandResult Run(CommandLine command)
    {
        string key = command.ToString();
        Ran.Add(key);
        OnRun?.Invoke(key);
        return _answers.TryGetValue(key, out var result) ? result : throw new Xunit.Sdk.XunitException("unexpected command: " + key);
    }

    public bool Exists(string program) => !Missing.Contains(program);
}
