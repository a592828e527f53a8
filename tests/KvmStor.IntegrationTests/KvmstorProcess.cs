using System.Diagnostics;

namespace KvmStor.IntegrationTests;

/// <summary>Runs the built kvmstor binary (out/kvmstor, made by scripts/build.sh) against a temp session state.</summary>
public sealed class KvmstorProcess : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("kvmstor-it-").FullName;

    public static string Binary { get; } = LocateBinary();

    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["XDG_CONFIG_HOME"] = Path.Combine(Root, "xdg-config"),
        ["XDG_STATE_HOME"] = Path.Combine(Root, "xdg-state"),
        ["XDG_RUNTIME_DIR"] = Path.Combine(Root, "xdg-run"),
        ["KVMSTOR_DEFAULT_URI"] = "kvmstor:///session",
    };

    public string ConfigDirectory => Path.Combine(Root, "xdg-config", "kvmstor", "storage");
    public string StateDirectory => Path.Combine(Root, "xdg-run", "kvmstor", "storage", "run");

    public (int ExitCode, string Stdout, string Stderr) Run(params string[] args) => RunWith(new(), args);

    /// <summary>Runs with extra environment variables (an empty value removes the variable).</summary>
    public (int ExitCode, string Stdout, string Stderr) RunWith(Dictionary<string, string> extraEnvironment, params string[] args)
    {
        using var p = StartProcess(extraEnvironment, args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs with a bound: a command still running after <paramref name="limit"/> is killed and the test fails.</summary>
    public (int ExitCode, string Stdout, string Stderr) RunBounded(TimeSpan limit, params string[] args)
    {
        using var p = StartProcess(args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(limit))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            throw new TimeoutException($"kvmstor {string.Join(' ', args)} did not finish within {limit.TotalSeconds} s");
        }
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    public Process StartProcess(params string[] args) => StartProcess(new(), args);

    public Process StartProcess(Dictionary<string, string> extraEnvironment, params string[] args)
    {
        var psi = new ProcessStartInfo(Binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in Environment) psi.Environment[k] = v;
        foreach (var (k, v) in extraEnvironment)
            if (v.Length == 0) psi.Environment.Remove(k); else psi.Environment[k] = v;
        return Process.Start(psi)!;
    }

    /// <summary>Starts a bash script with this state's environment (for many commands in one long-lived process).</summary>
    public Process StartScript(string script)
    {
        var psi = new ProcessStartInfo("bash", ["-c", script]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (k, v) in Environment) psi.Environment[k] = v;
        psi.Environment["KVMSTOR"] = Binary;
        return Process.Start(psi)!;
    }

    private static string LocateBinary()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "KvmStor.slnx")))
            {
                string bin = Path.Combine(dir.FullName, "out", "kvmstor");
                if (File.Exists(bin)) return bin;
                throw new FileNotFoundException($"{bin} is missing: run scripts/build.sh (scripts/test.sh does) before the integration tests");
            }
        throw new DirectoryNotFoundException("repository root (KvmStor.slnx) not found");
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
