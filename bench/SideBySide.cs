using System.Diagnostics;
using System.Globalization;

namespace KvmStor.Bench;

/// <summary>
/// Paired measurement of kvmstor serve against libvirtd on a shared, loaded machine: the two sides take turns
/// (ABBA…: A B, B A, A B…), each pair gives one ratio, and the report is the median of those ratios with their range.
/// A load that drifts over minutes then falls on both sides of a pair alike instead of on one block of runs. Next to
/// the wall time, each side's server CPU time per sample (from /proc, all threads) — what the server itself spent,
/// which the load moves far less than the wall clock.
/// </summary>
internal static class SideBySide
{
    /// <summary>One side: a sample (wall milliseconds, as the scenario times it) and the pid of its server, if known.</summary>
    public sealed record Side(string Name, Func<double> Sample, int? ServerPid);

    /// <summary>The pid of the libvirtd that ../shared/tools/libvirt-ref-up.sh started, if it runs.</summary>
    public static int? LibvirtdPid()
    {
        string pidFile = Path.Combine(Environment.GetEnvironmentVariable("LIBVIRT_REF_STATE") ?? "/run/libvirt-ref", "libvirtd.pid");
        return File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out int pid) && Directory.Exists($"/proc/{pid}") ? pid : null;
    }

    /// <summary>The 1-minute load average now.</summary>
    public static string Load() => File.ReadAllText("/proc/loadavg").Split(' ')[0];

    /// <summary>
    /// <paramref name="pairs"/> pairs after one warm-up sample of each side; prints both sides' medians and ranges,
    /// their server CPU per sample, and the median ratio A/B with its range. Without <paramref name="b"/> only A is
    /// measured. Returns the median ratio (null without B).
    /// </summary>
    public static double? Run(string what, int pairs, Side a, Side? b, double goal = 1.0)
    {
        string loadStart = Load();
        var started = DateTime.UtcNow;
        a.Sample();
        b?.Sample();
        var wallA = new List<double>(); var wallB = new List<double>();
        double cpuA = 0, cpuB = 0;
        var ratios = new List<double>();
        for (int i = 0; i < pairs; i++)
        {
            double ta, tb = 0;
            if (b is null || i % 2 == 0)
            {
                ta = Timed(a, ref cpuA);
                if (b is not null) tb = Timed(b, ref cpuB);
            }
            else
            {
                tb = Timed(b, ref cpuB);
                ta = Timed(a, ref cpuA);
            }
            wallA.Add(ta);
            if (b is not null)
            {
                wallB.Add(tb);
                ratios.Add(ta / tb);
            }
        }
        var inv = CultureInfo.InvariantCulture;
        string Side(Side s, List<double> wall, double cpu) => string.Create(inv,
            $"{s.Name} {Median(wall),9:F1} ms ({wall.Min():F1}–{wall.Max():F1}){(s.ServerPid is null ? "" : $", server CPU {cpu / wall.Count,7:F1} ms")}");
        Console.WriteLine($"{what}: {pairs} {(b is null ? "runs" : "pairs, ABBA")}, {started:HH:mm:ss}–{DateTime.UtcNow:HH:mm:ss} UTC, load {loadStart} → {Load()}");
        Console.WriteLine("  " + Side(a, wallA, cpuA));
        if (b is null) return null;
        Console.WriteLine("  " + Side(b, wallB, cpuB));
        double ratio = Median(ratios);
        Console.WriteLine(string.Create(inv,
            $"  ratio {a.Name}/{b.Name} {ratio:F2} ({ratios.Min():F2}–{ratios.Max():F2}), CPU ratio {(cpuB > 0 ? (cpuA / cpuB).ToString("F2", inv) : "n/a")}  (goal <= {goal}: {(ratio <= goal ? "met" : "NOT met")})"));
        return ratio;
    }

    private static double Timed(Side side, ref double cpuMs)
    {
        double before = side.ServerPid is { } p ? CpuMs(p) : 0;
        double wall = side.Sample();
        if (side.ServerPid is { } q) cpuMs += CpuMs(q) - before;
        return wall;
    }

    /// <summary>Wall milliseconds of <paramref name="action"/>, for sides that time a whole command.</summary>
    public static double Time(Action action)
    {
        var sw = Stopwatch.StartNew();
        action();
        return sw.Elapsed.TotalMilliseconds;
    }

    /// <summary>User plus system CPU of a process and all its threads, live and exited (/proc/pid/stat, clock ticks of 10 ms).</summary>
    private static double CpuMs(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the command name (which may hold spaces) in parentheses: utime and stime are the 12th and 13th.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            long ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return ticks * 10.0;
        }
        catch (IOException) { return 0; }
    }

    public static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        int n = sorted.Count;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
