using System.Diagnostics;

namespace KvmStor.IntegrationTests.Server;

/// <summary>
/// The real binary running `kvmstor serve --listen &lt;temp&gt;/sock` on a temp session state, and the real clients
/// (virsh 9.0, /usr/bin/python3's libvirt module) pointed at it.
/// </summary>
public sealed class ServeFixture : IDisposable
{
    public KvmstorProcess Kvmstor { get; } = new();
    private readonly Process _server;

    public string Socket => Path.Combine(Kvmstor.Root, "sock");
    public int ServerPid => _server.Id;
    public string Uri => $"storage+unix:///system?socket={Socket}";
    public string ReadOnlyUri => $"storage+unix:///system?socket={Socket}-ro";

    public ServeFixture() : this(new Dictionary<string, string>()) { }

    /// <summary>A server run with extra environment variables (e.g. a short KVMSTOR_NETWORK_TIMEOUT).</summary>
    internal ServeFixture(Dictionary<string, string> environment)
    {
        _server = Kvmstor.StartProcess(environment, "serve", "--listen", Socket);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!File.Exists(Socket + "-ro"))
        {
            if (_server.HasExited) throw new InvalidOperationException("kvmstor serve exited: " + _server.StandardError.ReadToEnd());
            if (DateTime.UtcNow > deadline) throw new TimeoutException("kvmstor serve did not create its sockets");
            Thread.Sleep(50);
        }
    }

    public (int ExitCode, string Stdout, string Stderr) Virsh(params string[] args) => VirshAt(Uri, args);

    public (int ExitCode, string Stdout, string Stderr) VirshAt(string uri, params string[] args) =>
        Run("/usr/bin/virsh", ["-c", uri, .. args]);

    public (int ExitCode, string Stdout, string Stderr) Python(string script) => Run("/usr/bin/python3", ["-c", script]);

    private static (int, string, string) Run(string program, string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["LC_ALL"] = "C";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    public void Dispose()
    {
        // SIGTERM: the server stops accepting, ends its clients and removes its sockets.
        if (!_server.HasExited)
        {
            using (var kill = Process.Start("kill", ["-TERM", _server.Id.ToString()])) kill.WaitForExit();
            if (!_server.WaitForExit(TimeSpan.FromSeconds(10))) _server.Kill();
        }
        _server.Dispose();
        Kvmstor.Dispose();
    }
}
