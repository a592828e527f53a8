using System.Diagnostics;
using Xunit.Abstractions;

namespace KvmStor.IntegrationTests.Server;

/// <summary>
/// One local user on the world-connectable read-only socket cannot exhaust `kvmstor serve` or lock others out: a real
/// unprivileged user (made for the test with useradd, removed after) runs a hand-written protocol client (setpriv)
/// that holds 200 connections, pipelines calls without reading replies, or never reads its events, while root's virsh
/// on the read-write socket (and on the read-only one) keeps working within a bound, and the server's memory (VmRSS)
/// stays bounded.
/// </summary>
public sealed class ServeLimitsTests : IDisposable
{
    private readonly string User = "kvmstor-it-l" + Guid.NewGuid().ToString("N")[..8];
    private readonly KvmstorProcess _k = new();
    private readonly string _socket, _script;
    private readonly Process _server;
    private readonly List<Process> _clients = [];

    private readonly ITestOutputHelper _output;

    public ServeLimitsTests(ITestOutputHelper output)
    {
        _output = output;
        Must("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", User);
        // The user must reach the socket and the script: the temp root is 0700.
        File.SetUnixFileMode(_k.Root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherExecute | UnixFileMode.GroupExecute);
        _socket = Path.Combine(_k.Root, "sock");
        _script = Path.Combine(_k.Root, "rawrpc.py");
        File.WriteAllText(_script, RawRpcScript.Source);
        File.SetUnixFileMode(_script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        _server = _k.StartProcess("serve", "--listen", _socket);
        Assert.StartsWith("Listening on ", _server.StandardOutput.ReadLine());
    }

    public void Dispose()
    {
        foreach (var c in _clients)
        {
            if (!c.HasExited) c.Kill();
            c.Dispose();
        }
        if (!_server.HasExited)
        {
            using (var kill = Process.Start("kill", ["-TERM", _server.Id.ToString()])) kill.WaitForExit();
            if (!_server.WaitForExit(TimeSpan.FromSeconds(10))) _server.Kill();
        }
        _server.Dispose();
        _k.Dispose();
        Client.Run("userdel", [User]);
    }

    /// <summary>The raw client as the unprivileged user; its first line of output is returned by <see cref="FirstLine"/>.</summary>
    private Process StartAsUser(params string[] args)
    {
        var psi = new ProcessStartInfo("/usr/bin/setpriv")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in (string[])["--reuid", User, "--regid", "nogroup", "--clear-groups", "/usr/bin/python3", _script, .. args])
            psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        _clients.Add(p);
        return p;
    }

    private static string FirstLine(Process p)
    {
        var line = p.StandardOutput.ReadLineAsync();
        Assert.True(line.Wait(TimeSpan.FromSeconds(120)), "the client printed nothing");
        return line.Result ?? throw new InvalidOperationException("the client ended: " + p.StandardError.ReadToEnd());
    }

    /// <summary>Closes the client's input (it goes on to its second phase) and returns the rest of its output.</summary>
    private static string Finish(Process p)
    {
        p.StandardInput.Close();
        var rest = p.StandardOutput.ReadToEndAsync();
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(120)), "the client did not finish");
        return rest.Result.Trim() + p.StandardError.ReadToEnd();
    }

    private long RssKiB()
    {
        var line = File.ReadLines($"/proc/{_server.Id}/status").First(l => l.StartsWith("VmRSS:"));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
    }

    /// <summary>Root's virsh call, with how long it took.</summary>
    private TimeSpan RootVirsh(string socket, params string[] args)
    {
        var watch = Stopwatch.StartNew();
        var (code, _, stderr) = Client.Virsh($"storage+unix:///system?socket={socket}", args);
        Assert.True(code == 0, $"root's virsh {string.Join(' ', args)} on {socket}: {stderr}");
        return watch.Elapsed;
    }

    [Fact]
    public void A_user_holding_200_read_only_connections_gets_16_and_root_is_served()
    {
        Assert.Equal(0, _k.Run("pool-define-as", "l1", "dir", "--target", Path.Combine(_k.Root, "pools", "l1")).ExitCode);
        long before = RssKiB();
        var hog = StartAsUser("hold", _socket + "-ro", "200");
        Assert.Equal("held 16 closed 184", FirstLine(hog));

        // Root's calls on the read-write socket, and on the read-only one (another user's share), within a bound.
        Assert.InRange(RootVirsh(_socket, "pool-list", "--all"), TimeSpan.Zero, TimeSpan.FromSeconds(10));
        Assert.InRange(RootVirsh(_socket, "pool-build", "l1"), TimeSpan.Zero, TimeSpan.FromSeconds(10));
        Assert.InRange(RootVirsh(_socket + "-ro", "pool-info", "l1"), TimeSpan.Zero, TimeSpan.FromSeconds(10));
        long grown = RssKiB() - before;
        _output.WriteLine($"VmRSS {before} KiB before, grown by {grown} KiB with 16 connections held");
        Assert.InRange(grown, long.MinValue, 64 * 1024);

        // Once the user lets go, its share is free again.
        Assert.Equal("", Finish(hog));
        var again = StartAsUser("hold", _socket + "-ro", "3");
        Assert.Equal("held 3 closed 0", FirstLine(again));
        Finish(again);
    }

    [Fact]
    public void The_limits_are_set_on_the_command_line()
    {
        string socket = Path.Combine(_k.Root, "sock2");
        var server = _k.StartProcess("serve", "--listen", socket, "--max-readonly-clients-per-user", "3", "--max-clients", "2");
        try
        {
            Assert.StartsWith("Listening on ", server.StandardOutput.ReadLine());
            var hog = StartAsUser("hold", socket + "-ro", "20");
            Assert.Equal("held 3 closed 17", FirstLine(hog));
            Finish(hog);
            // Two read-write clients are served, a third is closed at once (root's own raw client this time).
            var root = new System.Diagnostics.ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardInput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in (string[])[_script, "hold", socket, "3"]) root.ArgumentList.Add(a);
            var held = Process.Start(root)!;
            _clients.Add(held);
            Assert.Equal("held 2 closed 1", FirstLine(held));
            Finish(held);
        }
        finally
        {
            server.Kill();
            server.WaitForExit();
            server.Dispose();
        }
        // Zero would refuse everyone: a usage error, as any malformed count.
        var zero = _k.Run("serve", "--listen", Path.Combine(_k.Root, "sock3"), "--max-clients", "0");
        Assert.Equal(1, zero.ExitCode);
        Assert.Equal("error: Numeric value '0' for <max-clients> option is malformed or out of range\n", zero.Stderr);
    }

    [Fact]
    public void A_user_pipelining_calls_without_reading_replies_is_no_longer_read_and_root_is_served()
    {
        long before = RssKiB();
        var greedy = StartAsUser("pipeline", _socket + "-ro");
        var sent = FirstLine(greedy).Split(' ');
        long calls = long.Parse(sent[1]);
        // Socket buffers and the reply queue (1 MiB of replies): far fewer than the 300000 calls it had to send.
        Assert.InRange(calls, 1000, 150_000);

        Assert.InRange(RootVirsh(_socket, "pool-list", "--all"), TimeSpan.Zero, TimeSpan.FromSeconds(10));
        Assert.InRange(RootVirsh(_socket + "-ro", "pool-list", "--all"), TimeSpan.Zero, TimeSpan.FromSeconds(10));
        long grown = RssKiB() - before;
        _output.WriteLine($"{calls} pipelined calls read before the server stopped reading; VmRSS {before} KiB before, grown by {grown} KiB");
        Assert.InRange(grown, long.MinValue, 64 * 1024);

        // When it reads at last, every call it made is answered once.
        long total = (long.Parse(sent[3]) + 27) / 28;
        Assert.Equal($"answered {total}", Finish(greedy));
    }

    [Fact]
    public void A_subscriber_that_never_reads_is_dropped_while_a_cli_changes_a_secret_400_times_and_a_reading_one_gets_all()
    {
        // Each value-changed event carries the secret's usage (8 KB here), so 400 of them outgrow the socket buffer
        // and the deaf client's event queue (1 MiB) quickly.
        const string Uuid = "9b4c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3";
        string xml = Path.Combine(_k.Root, "secret.xml"), value = Path.Combine(_k.Root, "value");
        File.WriteAllText(xml, $"<secret ephemeral='no' private='no'><uuid>{Uuid}</uuid><usage type='iscsi'><target>iqn.2026-01.test:{new string('x', 8000)}</target></usage></secret>");
        File.WriteAllText(value, "c2VjcmV0");
        Assert.Equal(0, _k.Run("secret-define", xml).ExitCode);

        var deaf = StartAsUser("deaf", _socket + "-ro", "1");
        Assert.Equal("registered", FirstLine(deaf));
        var listener = Task.Run(() => Client.Virsh($"storage+unix:///system?socket={_socket}-ro", "secret-event", "--event", "value-changed", "--loop", "--timeout", "20"));
        Thread.Sleep(1500);
        long before = RssKiB(), peak = before;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(() =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, RssKiB());
                Thread.Sleep(50);
            }
        });

        // One CLI process, 400 changes.
        var batch = _k.Run(string.Join("; ", Enumerable.Repeat($"secret-set-value {Uuid} --file {value}", 400)));
        Assert.True(batch.ExitCode == 0, batch.Stderr);
        Assert.InRange(RootVirsh(_socket, "secret-list"), TimeSpan.Zero, TimeSpan.FromSeconds(10));

        var (code, stdout, stderr) = listener.Result;
        sampling.Cancel();
        sampler.Wait();
        Assert.True(code == 0, stderr);
        Assert.EndsWith("events received: 400\n\n", stdout);
        Assert.InRange(peak - before, long.MinValue, 64 * 1024);

        // The deaf subscriber had its connection closed by the server, with part of the events.
        var end = Finish(deaf).Split(' ');
        _output.WriteLine($"deaf subscriber: {string.Join(' ', end)}; VmRSS {before} KiB before, peak +{peak - before} KiB");
        Assert.Equal("events", end[0]);
        Assert.InRange(int.Parse(end[1]), 0, 399);
        Assert.NotEqual("timeout", end[3]);
    }

    private static void Must(string program, params string[] args)
    {
        var r = Client.Run(program, args);
        Assert.True(r.ExitCode == 0, $"{program}: {r.Stderr}");
    }
}
