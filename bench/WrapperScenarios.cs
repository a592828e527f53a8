using System.Diagnostics;

namespace KvmStor.Bench;

/// <summary>
/// What the README's ./kvmstor wrapper costs on top of out/kvmstor (issue 15, item 1; goal: at most 1 ms). The three
/// runs alternate, so a change in the machine's load falls on all of them alike.
/// </summary>
public static class WrapperScenarios
{
    private const int Rounds = 200;

    public static void Overhead(string kvmstor, string[]? virsh)
    {
        string wrapper = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(kvmstor))!, "kvmstor");
        using var state = new Scenarios.KvmstorState();
        // The wrapper's first run builds if the sources changed since out/kvmstor was made; that is not measured.
        Check(Tools.Run(wrapper, ["pool-list"], state.Env), "./kvmstor pool-list");
        var checkOnly = new Dictionary<string, string>(state.Env) { ["KVMSTOR_SOURCE_TREE"] = Path.GetDirectoryName(wrapper)! };
        (string Name, string Program, Dictionary<string, string> Env)[] runs =
        [
            ("./kvmstor pool-list", wrapper, state.Env),
            ("out/kvmstor pool-list", kvmstor, state.Env),
            ("out/kvmstor pool-list, up-to-date check only", kvmstor, checkOnly),
        ];
        var times = runs.Select(_ => new List<double>()).ToArray();
        for (int round = -1; round < Rounds; round++) // round -1 warms up
            for (int i = 0; i < runs.Length; i++)
            {
                var clock = Stopwatch.StartNew();
                Check(Tools.Run(runs[i].Program, ["pool-list"], runs[i].Env), runs[i].Name);
                if (round >= 0) times[i].Add(clock.Elapsed.TotalMilliseconds);
            }
        double[] medians = times.Select(Median).ToArray();
        for (int i = 0; i < runs.Length; i++) Console.WriteLine($"{runs[i].Name,-48} {medians[i],9:F2} ms (median of {Rounds})");
        double added = medians[0] - medians[1];
        Console.WriteLine($"{"the wrapper adds",-48} {added,9:F2} ms, of which the check {medians[2] - medians[1]:F2} ms" +
            (added <= 1.0 ? "  (goal <= 1 ms: met)" : "  (goal <= 1 ms: NOT met)"));
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }

    private static void Check((int Code, string Output) r, string what)
    {
        if (r.Code != 0) throw new InvalidOperationException($"{what} failed: {r.Output}");
    }
}
