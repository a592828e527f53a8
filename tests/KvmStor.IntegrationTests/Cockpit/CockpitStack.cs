using System.Diagnostics;

namespace KvmStor.IntegrationTests.Cockpit;

/// <summary>
/// Cockpit's Machines page over a storage daemon, without systemd, in a private namespace: a system dbus-daemon whose
/// policy lets root own org.libvirt, the daemon on /run/libvirt/libvirt-sock, libvirt-dbus --system as root (it opens
/// qemu:///system and nothing else), cockpit-ws with a local session (no login; the bridge runs as root) on
/// 127.0.0.1:9090, and chromium-headless-shell with its DevTools on 127.0.0.1:9222 — all inside the namespace, so the
/// ports and sockets never meet the host's. Dispose stops each by pid, the bridge's children first, then anything
/// still inside the namespace, then the holder.
/// </summary>
public sealed class CockpitStack : IDisposable
{
    public const int CockpitPort = 9090;
    public const int DevToolsPort = 9222;
    public const string StoragePageUrl = "http://127.0.0.1:9090/cockpit/@localhost/machines/index.html#/storages";

    /// <summary>Debian's system bus configuration plus: root may own org.libvirt (packaged: user libvirtdbus + polkit).</summary>
    private const string DbusConfig = """
        <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
         "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
        <busconfig>
          <include>/usr/share/dbus-1/system.conf</include>
          <policy user="root"><allow own="org.libvirt"/></policy>
        </busconfig>
        """;

    private readonly List<Process> _started = [];
    private int _dbusPid;

    public string Root { get; }
    public string Logs => Path.Combine(Root, "logs");
    public PrivateNamespace Namespace { get; }
    public StorageDaemon Daemon { get; }
    public DevToolsPage Page { get; }

    public CockpitStack(string root, StorageDaemon daemon)
    {
        Root = root;
        Daemon = daemon;
        Directory.CreateDirectory(Logs);
        Namespace = new PrivateNamespace(Path.Combine(root, "etc-libvirt-storage"));
        try
        {
            // The qemu driver writes guest definitions into /etc/libvirt/qemu: a private one, so the host's stays untouched.
            Directory.CreateDirectory(Path.Combine(root, "etc-libvirt-qemu"));
            Namespace.RunChecked("mount", "--bind", Path.Combine(root, "etc-libvirt-qemu"), "/etc/libvirt/qemu");

            string config = Path.Combine(root, "dbus-system.conf");
            File.WriteAllText(config, DbusConfig);
            string pid = Namespace.RunChecked("dbus-daemon", $"--config-file={config}", "--fork", "--print-pid");
            _dbusPid = int.Parse(pid.Trim());

            Daemon.Start(Namespace, root);

            // libvirt-dbus logs every libvirt API call and RPC message it sends: what to look at when a call fails.
            var clientLog = new Dictionary<string, string>
            {
                ["LIBVIRT_LOG_FILTERS"] = "1:libvirt 1:rpc.netclient",
                ["LIBVIRT_LOG_OUTPUTS"] = "1:file:" + Path.Combine(Logs, "libvirt-dbus-client.log"),
            };
            _started.Add(Namespace.StartDaemon(Path.Combine(Logs, "libvirt-dbus.out"), clientLog, "/usr/sbin/libvirt-dbus", "--system"));
            Deadline.WaitUntil(TimeSpan.FromSeconds(30), "libvirt-dbus to own org.libvirt",
                () => Namespace.Run("busctl", ["--system", "status", "org.libvirt"]).ExitCode == 0);

            _started.Add(Namespace.StartDaemon(Path.Combine(Logs, "cockpit-ws.out"), null, "/usr/lib/cockpit/cockpit-ws",
                "--port", CockpitPort.ToString(), "--address", "127.0.0.1", "--local-session=cockpit-bridge"));
            Deadline.WaitUntil(TimeSpan.FromSeconds(30), "cockpit-ws to answer",
                () => Namespace.Run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", $"http://127.0.0.1:{CockpitPort}/"]).Stdout == "200");

            _started.Add(Namespace.StartDaemon(Path.Combine(Logs, "chromium.out"), null, "/usr/bin/chromium-headless-shell",
                "--no-sandbox", "--disable-gpu", "--remote-debugging-address=127.0.0.1", $"--remote-debugging-port={DevToolsPort}",
                "--user-data-dir=" + Path.Combine(root, "chromium-profile"), "--window-size=1400,900", "--hide-scrollbars", "about:blank"));
            Page = DevToolsPage.Attach(DevToolsPort, Namespace.ConnectTcp, TimeSpan.FromSeconds(60));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Page?.Dispose();
        // Reverse order of start: chromium, cockpit-ws (its bridge and the bridge's dbus-daemon --session and ssh-agent
        // first), libvirt-dbus; then the storage daemon and the bus.
        foreach (var p in Enumerable.Reverse(_started))
        {
            ProcessStopper.StopTree(p.Id);
            p.Dispose();
        }
        _started.Clear();
        Daemon.Dispose();
        if (_dbusPid > 0) ProcessStopper.Stop(_dbusPid);
        Namespace?.Dispose();
    }
}
