using System.Diagnostics;
using System.Globalization;
using KvmStor.IntegrationTests.Server;

namespace KvmStor.IntegrationTests.Ceph;

/// <summary>
/// `kvmstor serve` keeps one librados connection per rbd pool: many calls (also concurrent ones) use it, a pool-destroy
/// (through the server or by a CLI process) closes it, a changed secret replaces it, and a cluster that stops answering
/// costs the calls made meanwhile, not the server: afterwards calls recover on a new connection. A connection is seen
/// from outside, in /proc: counted as the server's established TCP connections to the monitor (one per librados
/// connection), and told apart by its librados instance's dispatch thread — not by the TCP port, since librados opens a
/// new monitor socket by itself when its session lapses (a busy-host run saw the port change under one unchanged
/// connection).
/// </summary>
[Collection("Ceph")]
public sealed class RbdServeConnectionTests(CephCluster cluster)
{
    private static readonly Dictionary<string, string> ShortBound = new() { ["KVMSTOR_NETWORK_TIMEOUT"] = "3" };

    [Fact]
    public void Many_calls_on_one_pool_use_one_connection_and_a_destroy_start_cycle_makes_a_new_one()
    {
        // The default bound, not the short one: with librados' timeouts at 3 s, a loaded machine's slow OSD answer is a
        // timeout, and a connection that saw one is rightly replaced (a busy-host run saw that).
        using var serve = new ServeFixture();
        using var session = new RbdPoolSession(cluster, serve.Kvmstor);  // defined and started by the CLI: the same state
        string prefix = "conn-" + Guid.NewGuid().ToString("N")[..6] + "-";
        try
        {
            Assert.Empty(MonitorConnections(serve.ServerPid));
            Virsh(serve, "vol-list", session.PoolName);
            Assert.Single(SettledMonitorConnections(serve.ServerPid));
            var first = LibradosInstances(serve.ServerPid);
            Assert.Single(first);

            // 4 clients at once, 5 creates each, then lists, infos, a refresh and deletes: all on the first connection.
            var clients = Enumerable.Range(0, 4).Select(c => Task.Run(() =>
            {
                for (int i = 0; i < 5; i++) Virsh(serve, "vol-create-as", session.PoolName, $"{prefix}{c}-{i}", "8M");
            })).ToArray();
            Task.WaitAll(clients);
            string listed = Virsh(serve, "vol-list", session.PoolName);
            Assert.Equal(20, listed.Split('\n').Count(l => l.TrimStart().StartsWith(prefix, StringComparison.Ordinal)));
            Assert.Contains("8.00 MiB", Virsh(serve, "vol-info", "--pool", session.PoolName, $"{prefix}0-0"));
            Virsh(serve, "pool-refresh", session.PoolName);
            for (int i = 0; i < 5; i++) Virsh(serve, "vol-delete", "--pool", session.PoolName, $"{prefix}0-{i}");
            Assert.Equal(first, LibradosInstances(serve.ServerPid));
            Assert.Single(SettledMonitorConnections(serve.ServerPid));
            Assert.NotNull(cluster.Info($"{prefix}3-4"));

            // pool-destroy closes it; pool-start and the next calls use one new connection.
            Virsh(serve, "pool-destroy", session.PoolName);
            Assert.Empty(SettledMonitorConnections(serve.ServerPid));
            WaitUntil(() => LibradosInstances(serve.ServerPid).Count == 0, "the destroyed pool's librados instance to shut down");
            Virsh(serve, "pool-start", session.PoolName);
            Virsh(serve, "vol-list", session.PoolName);
            Assert.Single(SettledMonitorConnections(serve.ServerPid));
            var second = LibradosInstances(serve.ServerPid);
            Assert.Single(second);
            Assert.Empty(second.Intersect(first));
            Virsh(serve, "vol-create-as", session.PoolName, prefix + "after", "8M");
            Assert.Equal(second, LibradosInstances(serve.ServerPid));

            // A pool-destroy by a CLI process, not through the server: the server reads it in the event log and closes
            // its connection too, instead of keeping it until it has been idle for minutes.
            session.Must("pool-destroy", session.PoolName);
            WaitUntil(() => LibradosInstances(serve.ServerPid).Count == 0, "the connection of the pool the CLI destroyed to close");
            Assert.Empty(SettledMonitorConnections(serve.ServerPid));
            session.Must("pool-start", session.PoolName);
        }
        finally
        {
            RemoveImages(prefix);
        }
    }

    [Fact]
    public void A_changed_secret_takes_effect_at_the_next_call_through_the_server_or_the_cli()
    {
        using var serve = new ServeFixture(ShortBound);
        using var session = new RbdPoolSession(cluster, serve.Kvmstor);
        Virsh(serve, "vol-list", session.PoolName);
        Assert.Single(SettledMonitorConnections(serve.ServerPid));
        var first = LibradosInstances(serve.ServerPid);
        Assert.Single(first);

        // A wrong key set through the server: the kept connection (made with the right one) is closed, and the next
        // call connects with the wrong key and fails, as it would on a server that connects per call.
        string wrongKey = Path.Combine(serve.Kvmstor.Root, "wrong-key");
        File.WriteAllText(wrongKey, Convert.ToBase64String(WrongCephKey()));
        Virsh(serve, "secret-set-value", session.SecretUuid, "--file", wrongKey);
        Assert.Empty(SettledMonitorConnections(serve.ServerPid));
        var refused = serve.Virsh("vol-list", session.PoolName);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("RADOS", refused.Stderr);

        // The right key again, set by another process (the CLI): the server sees the new value at its next call.
        string rightKey = Path.Combine(serve.Kvmstor.Root, "right-key");
        File.WriteAllText(rightKey, cluster.Key);
        session.Must("secret-set-value", session.SecretUuid, "--file", rightKey);
        Virsh(serve, "vol-list", session.PoolName);
        Assert.Single(SettledMonitorConnections(serve.ServerPid));
        WaitUntil(() => LibradosInstances(serve.ServerPid).Count == 1, "the refused connection's librados instance to shut down");
        var second = LibradosInstances(serve.ServerPid);
        Assert.Empty(second.Intersect(first));
    }

    [Fact]
    public void Calls_recover_without_a_server_restart_after_the_cluster_stopped_answering()
    {
        using var serve = new ServeFixture(ShortBound);
        using var session = new RbdPoolSession(cluster, serve.Kvmstor);
        string target = Path.Combine(serve.Kvmstor.Root, "local");
        session.Must("pool-define-as", "local", "dir", "--target", target);
        session.Must("pool-build", "local");
        session.Must("pool-start", "local");
        string vol = "stall-" + Guid.NewGuid().ToString("N")[..6];
        Virsh(serve, "vol-list", session.PoolName);
        SettledMonitorConnections(serve.ServerPid);
        var before = LibradosInstances(serve.ServerPid);

        CephCluster.Signal(cluster.OsdPid, "STOP");
        try
        {
            // The call waiting for the OSD ends within the bound; the server stays responsive meanwhile and after.
            var watch = Stopwatch.StartNew();
            var stalled = serve.Virsh("vol-create-as", session.PoolName, vol, "8M");
            Assert.NotEqual(0, stalled.ExitCode);
            // kvmstor's bound or librados' own op timeout (set to the same 3 s), whichever ends the wait first.
            Assert.True(stalled.Stderr.Contains("Timed out during operation") || stalled.Stderr.Contains("Connection timed out"), stalled.Stderr);
            Assert.InRange(watch.Elapsed.TotalSeconds, 2.5, 15);
            var other = Stopwatch.StartNew();
            Virsh(serve, "vol-create-as", "local", "still-works", "1M");
            Assert.True(other.Elapsed.TotalSeconds < 10, $"a dir pool call took {other.Elapsed.TotalSeconds} s while the OSD was stopped");

            // A later rbd call does not wait behind the abandoned one: it gets its own bound.
            watch.Restart();
            var again = serve.Virsh("vol-list", session.PoolName);
            Assert.NotEqual(0, again.ExitCode);
            Assert.InRange(watch.Elapsed.TotalSeconds, 0, 15);
        }
        finally
        {
            CephCluster.Signal(cluster.OsdPid, "CONT");
        }
        WaitUntil(() => serve.Virsh("vol-list", session.PoolName).ExitCode == 0);
        Virsh(serve, "vol-create-as", session.PoolName, vol, "8M");
        Assert.NotNull(cluster.Info(vol));
        // On a new connection: the abandoned ones are never closed (librados may still be inside them), so theirs stay.
        var after = LibradosInstances(serve.ServerPid);
        Assert.NotEmpty(after.Except(before));
        Virsh(serve, "vol-delete", "--pool", session.PoolName, vol);
        Assert.Null(cluster.Info(vol));
    }

    private static string Virsh(ServeFixture serve, params string[] args)
    {
        var (code, stdout, stderr) = serve.Virsh(args);
        Assert.True(code == 0, $"virsh {string.Join(' ', args)} failed ({code}): {stderr}");
        return stdout;
    }

    /// <summary>A well-formed cephx key (type, creation time, length 16, random bytes) that the cluster does not know.</summary>
    private static byte[] WrongCephKey()
    {
        var key = new byte[12 + 16];
        key[0] = 1;                        // CEPH_CRYPTO_AES
        key[10] = 16;                      // little-endian u16 length
        Random.Shared.NextBytes(key.AsSpan(12));
        return key;
    }

    private void RemoveImages(string prefix)
    {
        var (_, stdout, _) = cluster.Rbd("ls", cluster.Pool);
        foreach (var image in stdout.Split('\n').Where(l => l.StartsWith(prefix, StringComparison.Ordinal)))
            cluster.Rbd("rm", $"{cluster.Pool}/{image}");
    }

    /// <summary>Monitor connections once librados settled (it may briefly hold two while it picks a monitor address).</summary>
    private static HashSet<int> SettledMonitorConnections(int pid)
    {
        var seen = MonitorConnections(pid);
        for (int i = 0; i < 20; i++)
        {
            Thread.Sleep(250);
            var now = MonitorConnections(pid);
            if (now.SetEquals(seen) && now.Count <= 1) return now;
            seen = now;
        }
        return seen;
    }

    /// <summary>
    /// The local ports of <paramref name="pid"/>'s established TCP connections to a Ceph monitor (port 6789 or 3300):
    /// its socket inodes (/proc/PID/fd) matched against the TCP table.
    /// </summary>
    private static HashSet<int> MonitorConnections(int pid)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith("socket:[", StringComparison.Ordinal))
                    inodes.Add(target[8..^1]);
            }
            catch (IOException) { }  // closed meanwhile
        }
        var ports = new HashSet<int>();
        foreach (var table in new[] { $"/proc/{pid}/net/tcp", $"/proc/{pid}/net/tcp6" })
        {
            if (!File.Exists(table)) continue;
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length < 10 || fields[3] != "01" || !inodes.Contains(fields[9])) continue;
                int remotePort = int.Parse(fields[2].Split(':')[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (remotePort is 6789 or 3300)
                    ports.Add(int.Parse(fields[1].Split(':')[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            }
        }
        return ports;
    }

    /// <summary>
    /// The librados instances (cluster handles) alive in <paramref name="pid"/>, each as the thread id of its messenger's
    /// dispatch thread ("ms_dispatch": one per handle, started at connect, joined at shutdown).
    /// </summary>
    private static HashSet<int> LibradosInstances(int pid)
    {
        var threads = new HashSet<int>();
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n') == "ms_dispatch")
                    threads.Add(int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture));
            }
            catch (IOException) { }  // ended meanwhile
        }
        return threads;
    }

    private static void WaitUntil(Func<bool> condition, string what = "the cluster to come back")
    {
        // Coming back from a stopped OSD means re-peering, which on a busy host took longer than a minute once.
        var deadline = DateTime.UtcNow.AddSeconds(180);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"waited 180 s for {what}");
            Thread.Sleep(500);
        }
    }
}
