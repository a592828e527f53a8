namespace KvmStor.IntegrationTests.Cockpit;

/// <summary>Stops one process by its pid: SIGTERM, up to 5 s, then SIGKILL. A zombie counts as stopped.</summary>
internal static class ProcessStopper
{
    public static bool IsAlive(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            // the state is the first field after the parenthesised command name, which may itself contain ')'
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (IOException) { return false; }
    }

    /// <summary>The parent pid of <paramref name="pid"/>, or 0 when it is gone.</summary>
    public static int ParentOf(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
        }
        catch (IOException) { return 0; }
    }

    /// <summary>Every live process whose parent is <paramref name="pid"/>.</summary>
    public static IReadOnlyList<int> ChildrenOf(int pid) =>
        Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out int p) ? p : 0)
            .Where(p => p > 0 && ParentOf(p) == pid && IsAlive(p)).ToList();

    /// <summary>Stops <paramref name="pid"/>'s descendants (deepest first), then the process itself.</summary>
    public static void StopTree(int pid)
    {
        foreach (int child in ChildrenOf(pid)) StopTree(child);
        Stop(pid);
    }

    /// <summary>Processes that took over a second to stop or needed SIGKILL (what makes a clean-up slow), for the test's output.</summary>
    public static System.Collections.Concurrent.ConcurrentQueue<string> SlowStops { get; } = new();

    public static void Stop(int pid)
    {
        if (pid <= 0 || !IsAlive(pid)) return;
        string name = CommandName(pid);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Signal(pid, 15);
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (IsAlive(pid) && DateTime.UtcNow < until) Thread.Sleep(50);
        bool killed = IsAlive(pid);
        if (killed) Signal(pid, 9);
        until = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (IsAlive(pid) && DateTime.UtcNow < until) Thread.Sleep(50);
        if (killed || clock.Elapsed > TimeSpan.FromSeconds(1))
            SlowStops.Enqueue($"{name} ({pid}): {clock.Elapsed.TotalSeconds:0.0} s{(killed ? ", SIGKILL" : "")}{(IsAlive(pid) ? ", still alive" : "")}");
    }

    private static string CommandName(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/comm").Trim(); }
        catch (IOException) { return "?"; }
    }

    private static void Signal(int pid, int signal) => _ = Kill(pid, signal);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);
}
