using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace KvmStor.IntegrationTests.Iscsi;

/// <summary>One LUN of a test target: its size, and whether tgtd reports it thin (LBPME/LBPRZ, holes punched by UNMAP).</summary>
public sealed record TgtdLun(long Size, bool Thin = false);

/// <summary>
/// The project's own iSCSI target for tests and the bench: a private tgtd on 127.0.0.1 (its own portal port and its
/// own control port, so it never meets a system tgtd), one target with sparse file-backed LUNs in a temp dir,
/// optionally with a CHAP account. Stopped by pid (tgtd ignores SIGTERM: SIGKILL), temp dir and control socket removed.
/// </summary>
public sealed class TgtdTarget : IDisposable
{
    private readonly Process _tgtd;
    private bool _suspended;

    public string Directory { get; }
    public int Port { get; }
    public int ControlPort { get; }
    public string Iqn { get; }
    public int ProcessId => _tgtd.Id;
    public string Portal => $"127.0.0.1:{Port}";

    private TgtdTarget(Process tgtd, string directory, int port, string iqn)
    {
        _tgtd = tgtd;
        Directory = directory;
        Port = port;
        ControlPort = port;
        Iqn = iqn;
    }

    /// <summary>The backing file of LUN <paramref name="lun"/> (1-based; LUN 0 is tgtd's controller).</summary>
    public string LunFile(int lun) => Path.Combine(Directory, $"lun{lun}.img");

    /// <summary>Starts tgtd on a free port from 3260 up and creates target <paramref name="iqn"/> with the LUNs (numbered from 1).</summary>
    public static TgtdTarget Start(string iqn, IReadOnlyList<TgtdLun> luns, (string User, string Password)? chap = null)
    {
        string dir = System.IO.Directory.CreateTempSubdirectory("kvmstor-tgtd-").FullName;
        for (int attempt = 0; ; attempt++)
        {
            int port = FreePort();
            var tgtd = Launch(dir, port);
            var target = new TgtdTarget(tgtd, dir, port, iqn);
            try
            {
                target.WaitReady();
                target.Configure(luns, chap);
                return target;
            }
            catch (Exception) when (attempt < 4 && tgtd.HasExited)
            {
                // Lost the port to someone else between probing and binding: try another.
                target.StopDaemon();
            }
            catch
            {
                target.Dispose();
                throw;
            }
        }
    }

    private static Process Launch(string dir, int port)
    {
        // exec: the pid we hold is tgtd's own; its log goes to a file in the temp dir.
        var psi = new ProcessStartInfo("bash", ["-c", $"exec tgtd -f -C {port} --iscsi portal=127.0.0.1:{port} >'{dir}/tgtd-{port}.log' 2>&1"])
        {
            UseShellExecute = false,
        };
        return Process.Start(psi)!;
    }

    private static int FreePort()
    {
        for (int i = 0; i < 200; i++)
        {
            int port = 3260 + 20 + Random.Shared.Next(0, 700);
            try
            {
                var probe = new TcpListener(IPAddress.Loopback, port);
                probe.Start();
                probe.Stop();
                if (!File.Exists($"/run/tgtd/socket.{port}")) return port;
            }
            catch (SocketException)
            {
            }
        }
        throw new InvalidOperationException("no free port for tgtd");
    }

    private void WaitReady()
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            if (_tgtd.HasExited) throw new InvalidOperationException($"tgtd exited: {File.ReadAllText(Path.Combine(Directory, $"tgtd-{Port}.log"))}");
            if (TryAdm("--op", "show", "--mode", "sys").ExitCode == 0 && Listening()) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("tgtd did not come up");
            Thread.Sleep(50);
        }
    }

    private bool Listening()
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private void Configure(IReadOnlyList<TgtdLun> luns, (string User, string Password)? chap)
    {
        Adm("--lld", "iscsi", "--op", "new", "--mode", "target", "--tid", "1", "-T", Iqn);
        for (int i = 0; i < luns.Count; i++)
        {
            string lun = (i + 1).ToString();
            using (var f = File.Create(LunFile(i + 1))) f.SetLength(luns[i].Size);
            Adm("--lld", "iscsi", "--op", "new", "--mode", "logicalunit", "--tid", "1", "--lun", lun, "-b", LunFile(i + 1));
            if (luns[i].Thin)
                Adm("--lld", "iscsi", "--op", "update", "--mode", "logicalunit", "--tid", "1", "--lun", lun, "--params", "thin_provisioning=1");
        }
        if (chap is { } account)
        {
            Adm("--lld", "iscsi", "--op", "new", "--mode", "account", "--user", account.User, "--password", account.Password);
            Adm("--lld", "iscsi", "--op", "bind", "--mode", "account", "--tid", "1", "--user", account.User);
        }
        Adm("--lld", "iscsi", "--op", "bind", "--mode", "target", "--tid", "1", "-I", "ALL");
    }

    private void Adm(params string[] args)
    {
        var (code, output) = TryAdm(args);
        if (code != 0) throw new InvalidOperationException($"tgtadm {string.Join(' ', args)}: {output}");
    }

    private (int ExitCode, string Output) TryAdm(params string[] args)
    {
        var psi = new ProcessStartInfo("tgtadm") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-C");
        psi.ArgumentList.Add(ControlPort.ToString());
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr);
    }

    /// <summary>Freezes tgtd (SIGSTOP): the target stops answering but its socket stays open, as a hung server does.</summary>
    public void Suspend()
    {
        Signal(19);
        _suspended = true;
    }

    public void Resume()
    {
        Signal(18);
        _suspended = false;
    }

    /// <summary>Kills tgtd outright (SIGKILL): its connections are reset, as when a target host dies.</summary>
    public void Kill()
    {
        _tgtd.Kill();
        _tgtd.WaitForExit(10_000);
    }

    private void Signal(int signal)
    {
        using var p = Process.Start(new ProcessStartInfo("kill", [$"-{signal}", _tgtd.Id.ToString()]) { UseShellExecute = false })!;
        p.WaitForExit();
    }

    private void StopDaemon()
    {
        try
        {
            if (!_tgtd.HasExited)
            {
                if (_suspended) Resume();
                _tgtd.Kill();
                _tgtd.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        foreach (var leftover in new[] { $"/run/tgtd/socket.{ControlPort}", $"/run/tgtd/socket.{ControlPort}.lock" })
            try { File.Delete(leftover); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        _tgtd.Dispose();
    }

    public void Dispose()
    {
        StopDaemon();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
