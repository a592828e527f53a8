using System.Diagnostics;

namespace KvmStor.IntegrationTests.Server;

/// <summary>
/// Who may connect, as libvirtd: the read-only twin is world-connectable (0666) and read-only for everyone; the
/// read-write socket is root's (0600) unless --group opens it (0660) to a group; and the peer's credentials are
/// checked on every accept, so a socket file whose mode was widened by mistake still lets no stranger in. The
/// clients run as a real unprivileged user (setpriv), with real virsh.
/// </summary>
public sealed class ServePermissionTests : IDisposable
{
    // Made for this test and removed after it (names unique per run, so nothing of an earlier run is reused).
    private readonly string User = "kvmstor-it-u" + Guid.NewGuid().ToString("N")[..8], Group = "kvmstor-it-g" + Guid.NewGuid().ToString("N")[..8];
    private readonly KvmstorProcess _k = new();
    private readonly string _socket;
    private Process? _server;

    public ServePermissionTests()
    {
        Must("groupadd", Group);
        Must("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", User);
        // The user must reach the socket: the temp root is 0700.
        File.SetUnixFileMode(_k.Root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherExecute | UnixFileMode.GroupExecute);
        _socket = Path.Combine(_k.Root, "sock");
    }

    private void Start(params string[] extra)
    {
        _server = _k.StartProcess(["serve", "--listen", _socket, .. extra]);
        Assert.StartsWith("Listening on ", _server.StandardOutput.ReadLine());
    }

    public void Dispose()
    {
        if (_server is { HasExited: false })
        {
            using (var kill = Process.Start("kill", ["-TERM", _server.Id.ToString()])) kill.WaitForExit();
            if (!_server.WaitForExit(TimeSpan.FromSeconds(10))) _server.Kill();
        }
        _server?.Dispose();
        _k.Dispose();
        Exec("userdel", User);
        Exec("groupdel", Group);
    }

    /// <summary>virsh as the unprivileged user, with the given supplementary groups.</summary>
    private (int ExitCode, string Stdout, string Stderr) VirshAsUser(string socket, string groups, params string[] args)
    {
        string home = Path.Combine(_k.Root, "home");
        Directory.CreateDirectory(home);
        Must("chown", User, home);
        return Client.Run("/usr/bin/setpriv",
            ["--reuid", User, "--regid", "nogroup", groups.Length > 0 ? "--groups=" + groups : "--clear-groups",
             "/usr/bin/virsh", "-c", $"storage+unix:///system?socket={socket}", .. args],
            psi => psi.Environment["HOME"] = home);
    }

    private static string Gid(string group) => Exec("getent", "group", group).Stdout.Split(':')[2];

    [Fact]
    public void The_read_only_socket_is_open_to_anyone_and_read_only_for_everyone()
    {
        Start();
        Assert.Equal(0, _k.Run("pool-define-as", "ro1", "dir", "--target", Path.Combine(_k.Root, "pools", "ro1")).ExitCode);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_socket));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite
                     | UnixFileMode.OtherRead | UnixFileMode.OtherWrite, File.GetUnixFileMode(_socket + "-ro"));

        // A stranger lists through -ro…
        var list = VirshAsUser(_socket + "-ro", "", "pool-list", "--all", "--name");
        Assert.True(list.ExitCode == 0, list.Stderr);
        Assert.Equal("ro1\n\n", Client.TrimLines(list.Stdout));
        // …changes nothing there…
        var build = VirshAsUser(_socket + "-ro", "", "pool-build", "ro1");
        Assert.Equal("error: Failed to build pool ro1\nerror: operation forbidden: read only access prevents virStoragePoolBuild\n", build.Stderr);
        Assert.False(Directory.Exists(Path.Combine(_k.Root, "pools", "ro1")));
        // …and cannot open the read-write socket (0600, root's).
        var rw = VirshAsUser(_socket, "", "pool-list", "--all");
        Assert.Equal(1, rw.ExitCode);
        Assert.Contains("Permission denied", rw.Stderr);
    }

    [Fact]
    public void Group_members_may_use_the_read_write_socket_and_the_peer_check_keeps_others_out()
    {
        Start("--group", Group);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite, File.GetUnixFileMode(_socket));
        var member = VirshAsUser(_socket, Gid(Group), "pool-define-as", "g1", "dir", "--target", Path.Combine(_k.Root, "pools", "g1"));
        Assert.True(member.ExitCode == 0, member.Stderr);
        Assert.Equal("Pool g1 defined\n\n", member.Stdout);
        Assert.Equal(0, _k.Run("pool-info", "g1").ExitCode);

        var stranger = VirshAsUser(_socket, "", "pool-list", "--all");
        Assert.Equal(1, stranger.ExitCode);
        Assert.Contains("Permission denied", stranger.Stderr);

        // Widen the file's mode by hand: the kernel lets the stranger connect, the server's peer check does not.
        File.SetUnixFileMode(_socket, File.GetUnixFileMode(_socket) | UnixFileMode.OtherRead | UnixFileMode.OtherWrite);
        var past = VirshAsUser(_socket, "", "pool-undefine", "g1");
        Assert.Equal(1, past.ExitCode);
        Assert.DoesNotContain("undefined", past.Stdout);
        Assert.Equal(0, _k.Run("pool-info", "g1").ExitCode);
    }

    private static (int ExitCode, string Stdout, string Stderr) Exec(string program, params string[] args) => Client.Run(program, args);

    private static void Must(string program, params string[] args)
    {
        var r = Exec(program, args);
        Assert.True(r.ExitCode == 0, $"{program}: {r.Stderr}");
    }
}

internal static class LetExtension
{
    public static void Let<T>(this T value, Action<T> action) => action(value);
}
