using System.Runtime.CompilerServices;
using System.Text;

namespace KvmStor.IntegrationTests;

/// <summary>
/// Stand-ins for host tools this machine does not have (dog, zfs, zpool): small shell scripts on a PATH directory of
/// their own that answer each expected argument list with recorded output and log every call, so the real kvmstor
/// binary can be run end to end. Any other call fails with exit status 1.
/// </summary>
public sealed class ReplayedTools : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("kvmstor-tools-").FullName;
    private readonly List<(string Program, string Arguments, string Stdout, int ExitCode, string Stderr)> _answers = [];
    private readonly Dictionary<string, string> _scripts = [];

    public string BinDirectory => Path.Combine(_root, "bin");
    private string LogPath => Path.Combine(_root, "calls.log");

    public ReplayedTools Answer(string program, string arguments, string stdout = "", int exitCode = 0, string stderr = "")
    {
        _answers.Add((program, arguments, stdout, exitCode, stderr));
        Write();
        return this;
    }

    /// <summary>A stand-in that runs <paramref name="body"/> (sh) for any arguments, after logging the call.</summary>
    public ReplayedTools Script(string program, string body)
    {
        _scripts[program] = body;
        Write();
        return this;
    }

    /// <summary>The environment that puts the stand-ins first on PATH.</summary>
    public Dictionary<string, string> Environment => new()
    {
        ["PATH"] = BinDirectory + ":" + (System.Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin"),
    };

    /// <summary>Every call so far, "program arguments…", in order.</summary>
    public IReadOnlyList<string> Calls => File.Exists(LogPath) ? File.ReadAllLines(LogPath) : [];

    /// <summary>A file of the unit tests' recorded output (tests/KvmStor.Tests/Backends/&lt;Type&gt;/Recorded/).</summary>
    public static string Recorded(string type, string name, [CallerFilePath] string here = "") =>
        File.ReadAllText(Path.Combine(Path.GetDirectoryName(here)!, "..", "KvmStor.Tests", "Backends", type, "Recorded", name));

    private void Write()
    {
        Directory.CreateDirectory(BinDirectory);
        foreach (var program in _answers.Select(a => a.Program).Distinct())
        {
            var script = new StringBuilder($"#!/bin/sh\necho \"{program} $*\" >> '{LogPath}'\ncase \"$*\" in\n");
            for (int i = 0; i < _answers.Count; i++)
            {
                var a = _answers[i];
                if (a.Program != program) continue;
                string answer = Path.Combine(_root, $"answer{i}");
                File.WriteAllText(answer + ".out", a.Stdout);
                File.WriteAllText(answer + ".err", a.Stderr);
                script.Append($"  \"{a.Arguments}\") cat '{answer}.out'; cat '{answer}.err' >&2; exit {a.ExitCode} ;;\n");
            }
            script.Append("  *) echo \"unexpected call: $*\" >&2; exit 1 ;;\nesac\n");
            string path = Path.Combine(BinDirectory, program);
            File.WriteAllText(path, script.ToString());
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        foreach (var (program, body) in _scripts)
        {
            string path = Path.Combine(BinDirectory, program);
            File.WriteAllText(path, $"#!/bin/sh\necho \"{program} $*\" >> '{LogPath}'\n{body}\n");
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
