using System.Diagnostics;

namespace KvmStor.IntegrationTests.Cockpit;

/// <summary>
/// The daemon behind /run/libvirt/libvirt-sock in the test's namespace, and the command-line tool that manages the same
/// state: virsh for libvirtd, the kvmstor CLI for kvmstor serve. Both take the same commands, so the pass sets up and
/// checks both sides with one script.
/// </summary>
public abstract class StorageDaemon : IDisposable
{
    public abstract string Name { get; }

    /// <summary>Starts the daemon inside <paramref name="ns"/>; <paramref name="root"/> is the run's temp directory.</summary>
    public abstract void Start(PrivateNamespace ns, string root);

    /// <summary>Runs the CLI (inside the namespace) and returns exit code and output.</summary>
    public abstract (int ExitCode, string Stdout, string Stderr) Cli(params string[] args);

    public string CliChecked(params string[] args)
    {
        var (code, stdout, stderr) = Cli(args);
        if (code != 0) throw new InvalidOperationException($"{Name} CLI {string.Join(' ', args)} exited {code}: {stderr}{stdout}");
        return stdout;
    }

    public abstract void Dispose();

    /// <summary>Where the repository's ../shared lives (CI always has it beside the repository).</summary>
    public static string SharedDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "KvmStor.slnx")))
                return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared"));
        throw new DirectoryNotFoundException("repository root (KvmStor.slnx) not found");
    }
}

/// <summary>Debian's real libvirtd 9.0 with every driver (libvirt-ref-up.sh --full), state under the run's directory.</summary>
public sealed class LibvirtdDaemon : StorageDaemon
{
    private PrivateNamespace? _ns;
    private string _state = "";

    public override string Name => "libvirtd";

    public override void Start(PrivateNamespace ns, string root)
    {
        _ns = ns;
        _state = Path.Combine(root, "libvirt-ref-state");
        var env = new Dictionary<string, string> { ["LIBVIRT_REF_STATE"] = _state };
        var (code, _, stderr) = ns.Run("bash", [Path.Combine(SharedDirectory(), "tools", "libvirt-ref-up.sh"), "--full", "--no-install"], env,
            TimeSpan.FromSeconds(120));
        if (code != 0) throw new InvalidOperationException("libvirt-ref-up.sh --full failed: " + stderr);
    }

    public override (int ExitCode, string Stdout, string Stderr) Cli(params string[] args) =>
        _ns!.Run("virsh", ["-c", "qemu:///system", .. args]);

    public override void Dispose()
    {
        if (_ns is null || !File.Exists(Path.Combine(_state, "libvirtd.pid"))) return;
        _ns.Run("bash", [Path.Combine(SharedDirectory(), "tools", "libvirt-ref-down.sh")],
            new Dictionary<string, string> { ["LIBVIRT_REF_STATE"] = _state }, TimeSpan.FromSeconds(60));
    }
}

/// <summary>`out/kvmstor serve --libvirtd-sockets` (/run/libvirt/libvirt-sock and -ro), on a temp session state that the kvmstor CLI shares.</summary>
public sealed class KvmstorDaemon : StorageDaemon
{
    private readonly KvmstorProcess _kvmstor = new();
    private PrivateNamespace? _ns;
    private Process? _server;

    public override string Name => "kvmstor";

    public override void Start(PrivateNamespace ns, string root)
    {
        _ns = ns;
        _server = ns.StartDaemon(Path.Combine(root, "logs", "kvmstor-serve.log"), _kvmstor.Environment, KvmstorProcess.Binary,
            "serve", "--libvirtd-sockets");
        // The socket is in the namespace's /run/libvirt: seen through the server's own root.
        Deadline.WaitUntil(TimeSpan.FromSeconds(30), "kvmstor serve's sockets",
            () => _server.HasExited || File.Exists($"/proc/{_server.Id}/root/run/libvirt/libvirt-sock-ro"));
        if (_server.HasExited)
            throw new InvalidOperationException("kvmstor serve exited: " + File.ReadAllText(Path.Combine(root, "logs", "kvmstor-serve.log")));
    }

    public override (int ExitCode, string Stdout, string Stderr) Cli(params string[] args) =>
        _ns!.Run(KvmstorProcess.Binary, args, _kvmstor.Environment);

    public override void Dispose()
    {
        if (_server is not null)
        {
            ProcessStopper.Stop(_server.Id);
            _server.Dispose();
            _server = null;
        }
        _kvmstor.Dispose();
    }
}
