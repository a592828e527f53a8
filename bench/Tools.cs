using System.Diagnostics;

namespace KvmStor.Bench;

/// <summary>Process helpers: run a command, time whole processes, take medians.</summary>
public static class Tools
{
    public static string KvmstorBinary()
    {
        // Paired runs of two builds (an older binary against out/kvmstor) name the one to measure.
        if (Environment.GetEnvironmentVariable("KVMSTOR_BENCH_BINARY") is { Length: > 0 } chosen) return Path.GetFullPath(chosen);
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "KvmStor.slnx")))
            {
                var bin = Path.Combine(dir.FullName, "out", "kvmstor");
                if (!File.Exists(bin)) Run(Path.Combine(dir.FullName, "scripts", "build.sh"));
                return bin;
            }
        throw new InvalidOperationException("repository root not found");
    }

    /// <summary>The virsh command line to use, or null when no libvirt storage driver answers.</summary>
    public static string[]? VirshIfAvailable()
    {
        try
        {
            // BENCH_VIRSH_URI=qemu:///system when libvirt runs with every driver (libvirt-ref-up.sh --full): the rbd
            // scenarios need its secret driver, which the storage-only daemon does not serve.
            string uri = Environment.GetEnvironmentVariable("BENCH_VIRSH_URI") is { Length: > 0 } chosen ? chosen : "storage:///system";
            var (code, _) = Run("virsh", "-q", "-c", uri, "uri");
            return code == 0 ? ["virsh", "-q", "-c", uri] : null;
        }
        catch (System.ComponentModel.Win32Exception) { return null; }
    }

    public static (int Code, string Output) Run(string program, params string[] args) => Run(program, args, null);

    public static (int Code, string Output) Run(string program, IEnumerable<string> args, IDictionary<string, string>? env)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, output.Result + error.Result);
    }

    [ThreadStatic] private static double _timedMs;

    /// <summary>Inside an iteration of <see cref="MedianMs"/> with subtractUntimed: only these sections count.</summary>
    public static void TimedSection(Action action)
    {
        var sw = Stopwatch.StartNew();
        action();
        _timedMs += sw.Elapsed.TotalMilliseconds;
    }

    /// <summary>
    /// Median wall time in milliseconds of <paramref name="runs"/> runs after one warm-up; with
    /// <paramref name="subtractUntimed"/> only the <see cref="TimedSection"/> parts of each run count (set-up and
    /// clean-up inside the iteration are excluded).
    /// </summary>
    public static double MedianMs(int runs, Action action, bool subtractUntimed = false)
    {
        action();
        var times = new List<double>();
        for (int i = 0; i < runs; i++)
        {
            _timedMs = 0;
            var sw = Stopwatch.StartNew();
            action();
            times.Add(subtractUntimed ? _timedMs : sw.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }

    /// <param name="goalMs">A bound on kvmstor's own time, whatever virsh does (e.g. what a Tab press may cost).</param>
    public static void Report(string what, double kvmstorMs, double? virshMs, double? goalRatio = null, double? goalMs = null)
    {
        string line = $"{what,-48} kvmstor {kvmstorMs,9:F1} ms";
        if (goalMs is { } limit) line += kvmstorMs < limit ? $"  (goal < {limit} ms: met)" : $"  (goal < {limit} ms: NOT met)";
        if (virshMs is { } v)
        {
            double ratio = kvmstorMs / v;
            line += $"   virsh {v,9:F1} ms   ratio {ratio:F2}";
            if (goalRatio is { } g) line += ratio <= g ? $"  (goal <= {g}: met)" : $"  (goal <= {g}: NOT met)";
        }
        Console.WriteLine(line);
    }
}
