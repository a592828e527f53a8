using System.Diagnostics;

namespace KvmStor.IntegrationTests;

/// <summary>
/// A throw-away GlusterFS server for tests and the bench: glusterd on 127.0.0.1:24007 with its own working
/// directory, and one-brick volumes. Everything lives in a temp directory; Dispose unmounts the FUSE mounts of its
/// volumes, stops the bricks and glusterd by pid (waking them first if a test SIGSTOPped them), removes the bricks'
/// sockets and the directory. Only one can run per machine (fixed port and CLI socket).
/// </summary>
/// <remarks>
/// Bricks are named with host 127.1: the gluster CLI refuses "127.0.0.1" and "localhost" in brick names, and 127.1
/// is the same address without a dependency on /etc/hosts. Clients use 127.0.0.1 as the volfile server.
/// No xunit here: the bench compiles this file too.
/// </remarks>
public sealed class GlusterServer : IDisposable
{
    public const string Host = "127.0.0.1";
    public const int Port = 24007;
    public const string BrickHost = "127.1";

    private readonly List<string> _volumes = [];
    private readonly List<string> _log = [];
    private bool _disposed;

    /// <summary>The temp directory holding glusterd's state, logs and bricks.</summary>
    public string Root { get; }
    private string VolFile => Path.Combine(Root, "glusterd.vol");
    private string PidFile => Path.Combine(Root, "run", "glusterd.pid");
    private string LogDir => Path.Combine(Root, "log");

    public IReadOnlyList<string> Volumes => _volumes;

    private GlusterServer(string root) => Root = root;

    /// <summary>Starts glusterd and creates and starts the given volumes (a few seconds).</summary>
    public static GlusterServer Start(params string[] volumes)
    {
        if (ProcessListensOn(Port))
            throw new InvalidOperationException($"TCP port {Port} is already in use (another glusterd?); the gluster tests need it");
        var server = new GlusterServer(Directory.CreateTempSubdirectory("kvmstor-gluster-").FullName);
        try
        {
            server.StartDaemon();
            foreach (var v in volumes) server.CreateVolume(v);
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    private void StartDaemon()
    {
        foreach (var d in new[] { "glusterd", "run", "log", "bricks", "mnt" }) Directory.CreateDirectory(Path.Combine(Root, d));
        File.WriteAllText(VolFile, $"""
            volume management
                type mgmt/glusterd
                option working-directory {Root}/glusterd
                option run-directory {Root}/run
                option logging-directory {LogDir}
                option transport-type socket
                option transport.address-family inet
                option transport.socket.bind-address {Host}
                option transport.socket.listen-port {Port}
                option transport.socket.keepalive-time 10
                option transport.socket.keepalive-interval 2
                option transport.socket.read-fail-log off
                option ping-timeout 0
                option event-threads 1
                option base-port 49152
                option max-port 60999
            end-volume

            """);
        var start = Exec(TimeSpan.FromSeconds(30), "glusterd", "-f", VolFile, "-p", PidFile, "-l", Path.Combine(LogDir, "glusterd.log"));
        if (start.ExitCode != 0) throw new InvalidOperationException("glusterd did not start: " + start.Output);
        var deadline = Stopwatch.StartNew();
        while (Cli(TimeSpan.FromSeconds(10), "volume", "list").ExitCode != 0)
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(20)) throw new InvalidOperationException("glusterd does not answer after 20 s");
            Thread.Sleep(100);
        }
    }

    /// <summary>Creates and starts a one-brick volume; returns when its brick is online.</summary>
    public void CreateVolume(string name)
    {
        string brick = BrickDirectory(name);
        CliChecked("volume", "create", name, $"{BrickHost}:{brick}", "force");
        _volumes.Add(name);
        CliChecked("volume", "start", name);
        var deadline = Stopwatch.StartNew();
        while (BrickPid(name) is null)
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(15)) throw new InvalidOperationException($"brick of {name} not online after 15 s");
            Thread.Sleep(100);
        }
    }

    public string BrickDirectory(string volume) => Path.Combine(Root, "bricks", volume);

    /// <summary>glusterd's pid (from its pid file).</summary>
    public int DaemonPid => int.Parse(File.ReadAllText(PidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The pid of the volume's brick process (glusterfsd), once online.</summary>
    public int? BrickPid(string volume)
    {
        // --xml: the plain table wraps long brick paths over two lines.
        var result = Cli(TimeSpan.FromSeconds(10), "--xml", "volume", "status", volume);
        if (result.ExitCode != 0) return null;
        try
        {
            var node = System.Xml.Linq.XDocument.Parse(result.Output).Descendants("node").FirstOrDefault();
            return (string?)node?.Element("status") == "1" && int.TryParse((string?)node.Element("pid"), out int pid) && pid > 0 ? pid : null;
        }
        catch (System.Xml.XmlException) { return null; }
    }

    /// <summary>The raw output of <c>gluster --xml volume info all</c> from this server.</summary>
    public string VolumeInfoXml() => CliChecked("--xml", "volume", "info", "all").Output;

    /// <summary>Mounts a volume through FUSE at a fresh directory under the server's root (unmounted by Dispose).</summary>
    public string Mount(string volume)
    {
        string mountPoint = Path.Combine(Root, "mnt", volume + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(mountPoint);
        var r = Exec(TimeSpan.FromSeconds(30), "mount", "-t", "glusterfs", "-o", $"log-file={LogDir}/mnt-{volume}.log", $"{Host}:/{volume}", mountPoint);
        if (r.ExitCode != 0) throw new InvalidOperationException($"mount of {volume} failed: {r.Output}");
        return mountPoint;
    }

    public (int ExitCode, string Output) Cli(TimeSpan limit, params string[] args) =>
        Exec(limit, "gluster", ["--mode=script", $"--log-file={LogDir}/cli.log", .. args]);

    private (int ExitCode, string Output) CliChecked(params string[] args)
    {
        var r = Cli(TimeSpan.FromSeconds(30), args);
        if (r.ExitCode != 0) throw new InvalidOperationException($"gluster {string.Join(' ', args)} failed ({r.ExitCode}): {r.Output}");
        return r;
    }

    /// <summary>Runs a program with a bound; a program still running at the bound is killed and reported as exit 124.</summary>
    public static (int ExitCode, string Output) Exec(TimeSpan limit, string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["LC_ALL"] = "C";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(limit))
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            return (124, $"{program} killed after {limit.TotalSeconds} s");
        }
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    private static bool ProcessListensOn(int port)
    {
        string hex = ":" + port.ToString("X4", System.Globalization.CultureInfo.InvariantCulture);
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table)) continue;
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length > 3 && f[1].EndsWith(hex, StringComparison.Ordinal) && f[3] == "0A") return true; // 0A = LISTEN
            }
        }
        return false;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        string? uuid = ReadUuid();
        var ours = OurProcesses(uuid);
        // A test may have stopped them: a stopped process ignores SIGTERM until continued.
        foreach (var pid in ours) Signal(pid, "CONT");
        UnmountOurMounts();
        foreach (var pid in ours.Where(p => p != ReadDaemonPid()))
        {
            string? socket = SocketOf(pid);
            Stop(pid);
            // Brick sockets outlive their processes in the standard run directory.
            if (socket is not null && (socket.StartsWith("/var/run/gluster/", StringComparison.Ordinal) || socket.StartsWith("/run/gluster/", StringComparison.Ordinal)))
                File.Delete(socket);
        }
        if (ReadDaemonPid() is { } daemon) Stop(daemon);
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException e) { _log.Add($"could not remove {Root}: {e.Message}"); }
    }

    private string? ReadUuid()
    {
        string info = Path.Combine(Root, "glusterd", "glusterd.info");
        if (!File.Exists(info)) return null;
        return File.ReadLines(info).FirstOrDefault(l => l.StartsWith("UUID=", StringComparison.Ordinal))?["UUID=".Length..];
    }

    private int? ReadDaemonPid()
    {
        try
        {
            int pid = DaemonPid;
            return CommandLineOf(pid)?.Contains($"glusterd -f {VolFile} ", StringComparison.Ordinal) == true ? pid : null;
        }
        catch (Exception e) when (e is IOException or FormatException) { return null; }
    }

    /// <summary>glusterd and the bricks that name its UUID on their command lines.</summary>
    private List<int> OurProcesses(string? uuid)
    {
        var pids = new List<int>();
        if (ReadDaemonPid() is { } daemon) pids.Add(daemon);
        if (uuid is null) return pids;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            string? cmd = CommandLineOf(pid);
            if (cmd is not null && cmd.Contains("glusterfs", StringComparison.Ordinal) && cmd.Contains($"uuid={uuid} ", StringComparison.Ordinal))
                pids.Add(pid);
        }
        return pids;
    }

    private void UnmountOurMounts()
    {
        foreach (var line in File.ReadAllLines("/proc/self/mounts"))
        {
            var f = line.Split(' ');
            if (f.Length < 3 || f[2] != "fuse.glusterfs") continue;
            string source = f[0], mountPoint = f[1].Replace("\\040", " ");
            bool ours = mountPoint.StartsWith(Root + "/", StringComparison.Ordinal) ||
                _volumes.Any(v => source == $"{Host}:/{v}" || source == $"{Host}:{v}" || source == $"{BrickHost}:/{v}");
            if (!ours) continue;
            if (Exec(TimeSpan.FromSeconds(15), "umount", mountPoint).ExitCode != 0)
                Exec(TimeSpan.FromSeconds(15), "umount", "-l", mountPoint);
        }
    }

    private static string? CommandLineOf(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' '); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    private static string? SocketOf(int pid)
    {
        try
        {
            var args = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
            int i = Array.IndexOf(args, "-S");
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>
    /// Removes the GlusterFS client logs of mounts made under <paramref name="directory"/>: a FUSE mount without a
    /// log-file option (libvirt's mount argv has none) logs to /var/log/glusterfs/&lt;mount point, '/' → '-'&gt;.log.
    /// </summary>
    public static void RemoveClientLogsUnder(string directory)
    {
        const string LogDirectory = "/var/log/glusterfs";
        if (!Directory.Exists(LogDirectory)) return;
        string prefix = directory.Trim('/').Replace('/', '-') + "-";
        foreach (var log in Directory.EnumerateFiles(LogDirectory, prefix + "*.log")) File.Delete(log);
    }

    /// <summary>Sends a signal by pid (kill(1): SIGSTOP/SIGCONT as the dead-server tests use them).</summary>
    public static void Signal(int pid, string signal) => Exec(TimeSpan.FromSeconds(5), "kill", "-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static bool Alive(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException) { return false; }
    }

    /// <summary>SIGTERM, up to 10 s, then SIGKILL.</summary>
    private static void Stop(int pid)
    {
        if (!Alive(pid)) return;
        Signal(pid, "TERM");
        var watch = Stopwatch.StartNew();
        while (Alive(pid) && watch.Elapsed < TimeSpan.FromSeconds(10)) Thread.Sleep(50);
        if (!Alive(pid)) return;
        Signal(pid, "KILL");
        while (Alive(pid) && watch.Elapsed < TimeSpan.FromSeconds(15)) Thread.Sleep(50);
    }
}
