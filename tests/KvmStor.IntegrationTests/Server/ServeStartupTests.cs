using System.Diagnostics;

namespace KvmStor.IntegrationTests.Server;

/// <summary>
/// `kvmstor serve` started as libvirt's daemons are: by systemd's socket activation (the test plays systemd: it binds
/// the sockets and execs the real binary with LISTEN_FDS/LISTEN_PID), with an idle --timeout, and on libvirt's own
/// socket paths (--libvirt-sockets, in a private mount namespace so the host's /run/libvirt is not touched).
/// </summary>
public sealed class ServeStartupTests : IDisposable
{
    private readonly KvmstorProcess _k = new();

    public void Dispose() => _k.Dispose();

    /// <summary>Python binds and listens on both sockets, moves them to fds 3 and 4 and execs kvmstor in its own pid.</summary>
    private const string Activator = """
import fcntl, os, socket, sys
binary, timeout, rw, ro = sys.argv[1:5]
held = []
for path, mode in ((rw, 0o600), (ro, 0o666)):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    os.chmod(path, mode)
    s.listen(16)
    held.append(fcntl.fcntl(s.fileno(), fcntl.F_DUPFD, 10))
for i, fd in enumerate(held):
    os.dup2(fd, 3 + i)
    os.set_inheritable(3 + i, True)
env = dict(os.environ, LISTEN_PID=str(os.getpid()), LISTEN_FDS='2', LISTEN_FDNAMES='kvmstor-sock:kvmstor-sock-ro')
os.execve(binary, [binary, 'serve', '--timeout', timeout], env)
""";

    [Fact]
    public void Socket_activation_serves_the_passed_sockets_and_exits_when_idle()
    {
        string rw = Path.Combine(_k.Root, "act-sock"), ro = rw + "-ro";
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-c", Activator, KvmstorProcess.Binary, "3", rw, ro }) psi.ArgumentList.Add(a);
        foreach (var (key, value) in _k.Environment) psi.Environment[key] = value;
        using var server = Process.Start(psi)!;
        var stdout = server.StandardOutput.ReadLineAsync();
        Assert.True(stdout.Wait(TimeSpan.FromSeconds(20)), "kvmstor serve did not start");
        Assert.Equal($"Listening on {rw} and {ro}", stdout.Result);

        Assert.Equal(0, _k.Run("pool-define-as", "act", "dir", "--target", Path.Combine(_k.Root, "pools", "act")).ExitCode);
        var list = Client.Virsh($"storage+unix:///system?socket={rw}", "pool-list", "--all", "--name");
        Assert.True(list.ExitCode == 0, list.Stderr);
        Assert.Equal("act\n\n", Client.TrimLines(list.Stdout)); // virsh pads --name lists
        var refused = Client.Virsh($"storage+unix:///system?socket={ro}", "pool-build", "act");
        Assert.Equal("error: Failed to build pool act\nerror: operation forbidden: read only access prevents virStoragePoolBuild\n", refused.Stderr);
        // The modes systemd gave are kept: the server neither rebinds nor changes them.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(rw));

        // Idle for --timeout 3: it exits by itself, and leaves systemd's socket files for the next activation.
        Assert.True(server.WaitForExit(TimeSpan.FromSeconds(15)), "kvmstor serve did not exit when idle");
        Assert.Equal(0, server.ExitCode);
        Assert.True(File.Exists(rw) && File.Exists(ro));
    }

    [Fact]
    public void Timeout_waits_while_a_client_is_connected()
    {
        string socket = Path.Combine(_k.Root, "sock");
        using var server = _k.StartProcess("serve", "--listen", socket, "--timeout", "2");
        Assert.StartsWith("Listening on ", server.StandardOutput.ReadLine());
        // A client holds its connection for 6 s, three times the idle timeout, and says when it let go.
        var client = Task.Run(() => Client.Python($$"""
import libvirt, time
c = libvirt.open('storage+unix:///system?socket={{socket}}')
time.sleep(6)
print(len(c.listAllStoragePools(0)))
c.close()
print(time.time())
"""));
        Assert.False(server.WaitForExit(TimeSpan.FromSeconds(5)), "kvmstor serve exited while a client was connected");
        Assert.True(server.WaitForExit(TimeSpan.FromSeconds(15)), "kvmstor serve did not exit after the client left");
        var exited = DateTimeOffset.UtcNow;
        var (code, stdout, stderr) = client.Result;
        Assert.True(code == 0, stderr);
        var lines = stdout.Split('\n');
        Assert.Equal("0", lines[0]);
        var closed = DateTimeOffset.FromUnixTimeMilliseconds((long)(double.Parse(lines[1], System.Globalization.CultureInfo.InvariantCulture) * 1000));
        Assert.True(exited - closed >= TimeSpan.FromSeconds(1.5), $"exited {(exited - closed).TotalSeconds} s after the client left");
        Assert.Equal(0, server.ExitCode);
        Assert.False(File.Exists(socket), "the socket it bound was not removed");
    }

    [Fact]
    public void Libvirt_sockets_serve_storage_and_secret_clients_at_libvirts_paths()
    {
        // A private mount namespace with its own /run/libvirt: the paths are libvirt's, the host's daemons untouched.
        string script = """
set -e
mount -t tmpfs tmpfs /run/libvirt
"$KVMSTOR" serve --libvirt-sockets --timeout 30 >/dev/null &
pid=$!
for i in $(seq 100); do [ -S /run/libvirt/virtsecretd-sock-ro ] && break; sleep 0.1; done
stat -c '%n %a' /run/libvirt/virtstoraged-sock /run/libvirt/virtstoraged-sock-ro /run/libvirt/virtsecretd-sock /run/libvirt/virtsecretd-sock-ro
export LC_ALL=C
virsh -c 'storage+unix:///system?socket=/run/libvirt/virtstoraged-sock' pool-list --all --name | sed 's/ *$//'
virsh -c 'secret+unix:///system?socket=/run/libvirt/virtsecretd-sock' secret-list
virsh -c 'storage:///system' pool-list --all --name | sed 's/ *$//'
kill -TERM $pid
wait $pid
""";
        Assert.Equal(0, _k.Run("pool-define-as", "lv", "dir", "--target", Path.Combine(_k.Root, "pools", "lv")).ExitCode);
        using var p = _k.StartScript($"exec unshare --mount --propagation private bash -c {Shell.Quote(ForeignMounts.DropCommand(_k.Root) + "\n" + script)}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)), "the namespace script did not finish");
        Assert.True(p.ExitCode == 0, stderr.Result);
        Assert.Equal("""
/run/libvirt/virtstoraged-sock 600
/run/libvirt/virtstoraged-sock-ro 666
/run/libvirt/virtsecretd-sock 600
/run/libvirt/virtsecretd-sock-ro 666
lv

 UUID   Usage
---------------

lv


""", stdout.Result);
    }
}

/// <summary>The real clients, run with a bound.</summary>
internal static class Client
{
    public static (int ExitCode, string Stdout, string Stderr) Virsh(string uri, params string[] args) =>
        Run("/usr/bin/virsh", ["-c", uri, .. args]);

    /// <summary>Output with each line's trailing blanks removed (virsh pads `--name` lists to a column).</summary>
    public static string TrimLines(string text) => string.Join('\n', text.Split('\n').Select(l => l.TrimEnd(' ')));

    public static (int ExitCode, string Stdout, string Stderr) Python(string script) => Run("/usr/bin/python3", ["-c", script]);

    public static (int ExitCode, string Stdout, string Stderr) Run(string program, string[] args, Action<ProcessStartInfo>? adjust = null)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["LC_ALL"] = "C";
        adjust?.Invoke(psi);
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
}

internal static class Shell
{
    public static string Quote(string text) => "'" + text.Replace("'", "'\\''") + "'";
}
