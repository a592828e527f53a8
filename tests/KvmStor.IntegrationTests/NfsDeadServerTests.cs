using System.Diagnostics;

namespace KvmStor.IntegrationTests;

/// <summary>
/// A netfs NFS pool whose server never answers, as a hung or firewalled server does: pool-start must fail within
/// KVMSTOR_NETWORK_TIMEOUT (libvirt's pool-start waits on mount here for minutes). The server's address leads nowhere
/// by construction: pool-start runs in a network namespace of its own (unshare), where 192.0.2.0/24 (TEST-NET-1) is
/// routed into a TUN device no process reads, so every SYN is dropped and connect never completes, however busy the
/// machine is. (A listener with a full accept queue depended on how the kernel treats that queue under load.)
/// </summary>
public sealed class NfsDeadServerTests
{
    private const string DeadServer = "192.0.2.1";

    /// <summary>Sets up the namespace's network (lo, the TUN sink and its route), then runs the command given after it.</summary>
    private const string Blackhole =
        "ip link set lo up && ip tuntap add dev sink0 mode tun && ip link set sink0 up && ip addr add 192.0.2.2/24 dev sink0 && exec \"$@\"";

    [Fact]
    public void StartingAPoolOnAServerThatDoesNotAnswerFailsWithinTheBound()
    {
        using var kvmstor = new KvmstorProcess();
        string target = Path.Combine(kvmstor.Root, "nfs");
        string xml = Path.Combine(kvmstor.Root, "pool.xml");
        File.WriteAllText(xml, $"""
            <pool type='netfs'>
              <name>deadnfs</name>
              <source><host name='{DeadServer}' port='2049'/><dir path='/export'/><format type='nfs'/></source>
              <target><path>{target}</path></target>
            </pool>
            """);
        Assert.Equal(0, kvmstor.Run("pool-define", xml).ExitCode);
        Assert.Equal(0, kvmstor.Run("pool-build", "deadnfs").ExitCode);

        var watch = Stopwatch.StartNew();
        var (code, _, stderr) = RunInBlackholeNamespace(kvmstor, "pool-start", "deadnfs");
        watch.Stop();
        Assert.True(code == 1, $"pool-start exited {code}: {stderr}");
        Assert.True(stderr.Contains($"error: Timed out during operation: connect to {DeadServer}:2049: no answer within 5 s (KVMSTOR_NETWORK_TIMEOUT)"), stderr);
        Assert.InRange(watch.Elapsed.TotalSeconds, 4.9, 20);
        Assert.Contains("inactive", kvmstor.Run("pool-info", "deadnfs").Stdout);
    }

    /// <summary>The address really is dead there: a plain TCP connect from the same namespace is still pending after 3 s.</summary>
    [Fact]
    public void TheBlackholedAddressNeverAnswersAConnect()
    {
        var start = new ProcessStartInfo("unshare", ["--net", "sh", "-c", Blackhole, "sh",
            "timeout", "3", "bash", "-c", $"exec 3<>/dev/tcp/{DeadServer}/2049"]) { RedirectStandardError = true, UseShellExecute = false };
        using var p = Process.Start(start)!;
        string stderr = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.True(p.ExitCode == 124, $"connect ended instead of hanging (exit {p.ExitCode}): {stderr}"); // timeout(1): still waiting
    }

    private static (int ExitCode, string Stdout, string Stderr) RunInBlackholeNamespace(KvmstorProcess kvmstor, params string[] args)
    {
        var start = new ProcessStartInfo("unshare") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in (string[])["--net", "sh", "-c", Blackhole, "sh", KvmstorProcess.Binary, .. args]) start.ArgumentList.Add(a);
        foreach (var (k, v) in kvmstor.Environment) start.Environment[k] = v;
        // Not shorter: the same bound also guards pool-start's local look at the mount table (a dead mount point blocks
        // even that), which a busy-host run once saw take longer than 1.5 s.
        start.Environment["KVMSTOR_NETWORK_TIMEOUT"] = "5";
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)), "pool-start did not end");
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
