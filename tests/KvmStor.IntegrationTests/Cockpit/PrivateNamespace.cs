using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace KvmStor.IntegrationTests.Cockpit;

/// <summary>
/// A private mount + network namespace kept alive by a sleeping holder process (unshare … sleep infinity), with its own
/// loopback, its own tmpfs on /run/libvirt and /run/dbus and a private /etc/libvirt/storage: whatever daemon the test
/// puts on /run/libvirt/libvirt-sock there is the only one the namespace's clients see, and the host's libvirt is
/// neither seen nor touched. Commands run inside through nsenter, which execs them, so a started pid is the program's.
/// </summary>
public sealed class PrivateNamespace : IDisposable
{
    private readonly Process _holder;

    public int HolderPid => _holder.Id;

    public PrivateNamespace(string privateEtcStorage)
    {
        var psi = new ProcessStartInfo("unshare", ["--mount", "--net", "--propagation", "private", "sleep", "infinity"])
        {
            UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        _holder = Process.Start(psi)!;
        string ownMnt = NamespaceId(Environment.ProcessId, "mnt");
        Deadline.WaitUntil(TimeSpan.FromSeconds(20), "the namespace holder to unshare",
            () => NamespaceId(_holder.Id, "mnt") is { } m && m != ownMnt && NamespaceId(_holder.Id, "net") is not null);
        Directory.CreateDirectory(privateEtcStorage);
        Directory.CreateDirectory("/etc/libvirt/storage");
        RunChecked("sh", "-c", ForeignMounts.DropCommand(Path.GetDirectoryName(privateEtcStorage)!));
        RunChecked("ip", "link", "set", "lo", "up");
        RunChecked("mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", "/run/libvirt");
        RunChecked("mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", "/run/dbus");
        RunChecked("mount", "--bind", privateEtcStorage, "/etc/libvirt/storage");
    }

    /// <summary>A ProcessStartInfo that runs <paramref name="program"/> inside the namespace (nsenter execs it).</summary>
    public ProcessStartInfo Command(string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo("nsenter") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in new[] { "-t", HolderPid.ToString(), "-m", "-n", "--", program }.Concat(arguments)) psi.ArgumentList.Add(a);
        psi.Environment["LC_ALL"] = "C";
        if (environment is not null)
            foreach (var (k, v) in environment) psi.Environment[k] = v;
        return psi;
    }

    /// <summary>Runs a command inside to completion (bounded) and returns its exit code and output.</summary>
    public (int ExitCode, string Stdout, string Stderr) Run(string program, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string>? environment = null, TimeSpan? limit = null)
    {
        using var p = Process.Start(Command(program, arguments, environment))!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(limit ?? TimeSpan.FromSeconds(180)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish inside the namespace");
        }
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    public string RunChecked(string program, params string[] arguments)
    {
        var (code, stdout, stderr) = Run(program, arguments);
        if (code != 0) throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} (in the namespace) exited {code}: {stderr}");
        return stdout;
    }

    /// <summary>
    /// Starts a long-running program inside with its output in <paramref name="logFile"/>; the returned pid is the program's
    /// own (nsenter execs it; the shell in between execs too).
    /// </summary>
    public Process StartDaemon(string logFile, IReadOnlyDictionary<string, string>? environment, string program, params string[] arguments)
    {
        string script = "exec \"$0\" \"$@\" </dev/null >>" + KvmStor.IntegrationTests.Server.Shell.Quote(logFile) + " 2>&1";
        var p = Process.Start(Command("bash", new[] { "-c", script, program }.Concat(arguments), environment))!;
        p.StandardInput.Close();
        return p;
    }

    /// <summary>A TCP connection to 127.0.0.1:<paramref name="port"/> inside the namespace's network.</summary>
    /// <remarks>setns(CLONE_NEWNET) changes only the calling thread, and a socket stays in the namespace it was created in:
    /// a short-lived thread enters the namespace, creates the socket and leaves.</remarks>
    public Socket ConnectTcp(int port)
    {
        Socket? socket = null;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var own = File.OpenHandle($"/proc/thread-self/ns/net", FileMode.Open, FileAccess.Read);
                using var target = File.OpenHandle($"/proc/{HolderPid}/ns/net", FileMode.Open, FileAccess.Read);
                if (SetNs(target.DangerousGetHandle().ToInt32(), CloneNewNet) != 0)
                    throw new InvalidOperationException("setns into the namespace failed: errno " + Marshal.GetLastPInvokeError());
                try
                {
                    socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                }
                finally
                {
                    if (SetNs(own.DangerousGetHandle().ToInt32(), CloneNewNet) != 0)
                        Environment.FailFast("could not return a thread to the test's own network namespace");
                }
            }
            catch (Exception e) { failure = e; }
        });
        thread.Start();
        thread.Join();
        if (failure is not null) throw failure;
        try
        {
            socket!.Connect(System.Net.IPAddress.Loopback, port);
            return socket;
        }
        catch
        {
            socket!.Dispose();
            throw;
        }
    }

    /// <summary>Pids of every process in this namespace except the holder (all of them started by the test).</summary>
    public IReadOnlyList<int> ProcessesInside()
    {
        string? mnt = NamespaceId(HolderPid, "mnt");
        if (mnt is null) return [];
        var pids = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
            if (int.TryParse(Path.GetFileName(dir), out int pid) && pid != HolderPid && NamespaceId(pid, "mnt") == mnt)
                pids.Add(pid);
        return pids;
    }

    private static string? NamespaceId(int pid, string kind)
    {
        try { return new FileInfo($"/proc/{pid}/ns/{kind}").LinkTarget; }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>Stops whatever is still inside (leaves first: the youngest pid first), then the holder.</summary>
    public void Dispose()
    {
        foreach (int pid in ProcessesInside().OrderByDescending(p => p))
            ProcessStopper.Stop(pid);
        ProcessStopper.Stop(_holder.Id);
        _holder.Dispose();
    }

    private const int CloneNewNet = 0x40000000;

    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static extern int SetNs(int fd, int nstype);
}
