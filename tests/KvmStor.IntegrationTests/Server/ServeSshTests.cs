using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace KvmStor.IntegrationTests.Server;

/// <summary>
/// The real virsh reaching `kvmstor serve` through libvirt's SSH transport (storage+ssh://), as from another machine:
/// an sshd of the test's own on 127.0.0.1 (own config, host key and client key; nothing of the system's ssh set-up
/// used or touched), and virsh's netcat proxy (`nc -U`, netcat-openbsd) on the far side.
/// </summary>
public sealed class ServeSshTests : IDisposable
{
    private readonly ServeFixture _f = new();
    private readonly string _dir;
    private readonly Process _sshd;
    private readonly int _port;

    public ServeSshTests()
    {
        _dir = Path.Combine(_f.Kvmstor.Root, "ssh");
        Directory.CreateDirectory(_dir);
        Must("/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", Path.Combine(_dir, "host_key"));
        Must("/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", Path.Combine(_dir, "id"));
        File.Copy(Path.Combine(_dir, "id.pub"), Path.Combine(_dir, "authorized_keys"));
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            _port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
        }
        File.WriteAllText(Path.Combine(_dir, "sshd_config"), $"""
            Port {_port}
            ListenAddress 127.0.0.1
            HostKey {_dir}/host_key
            PidFile {_dir}/sshd.pid
            AuthorizedKeysFile {_dir}/authorized_keys
            PermitRootLogin prohibit-password
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            UsePAM no
            StrictModes no

            """);
        // The privilege-separation directory sshd insists on (the system's sshd makes it when it runs).
        Directory.CreateDirectory("/run/sshd");
        _sshd = Process.Start(new ProcessStartInfo("/usr/sbin/sshd", ["-D", "-e", "-f", Path.Combine(_dir, "sshd_config")])
            { RedirectStandardError = true, UseShellExecute = false })!;
        _sshd.ErrorDataReceived += (_, _) => { };
        _sshd.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            try
            {
                using var c = new TcpClient();
                c.Connect(IPAddress.Loopback, _port);
                break;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !_sshd.HasExited) { Thread.Sleep(100); }
        }
        // virsh runs "ssh" from PATH: a wrapper gives it a config of the test's (known hosts file, key, batch mode),
        // since ssh reads ~/.ssh from the passwd entry, not $HOME.
        File.WriteAllText(Path.Combine(_dir, "ssh_config"), $"Host *\n  UserKnownHostsFile {_dir}/known_hosts\n  IdentityFile {_dir}/id\n  BatchMode yes\n");
        File.WriteAllText(Path.Combine(_dir, "ssh"), $"#!/bin/sh\nexec /usr/bin/ssh -F {_dir}/ssh_config \"$@\"\n");
        File.SetUnixFileMode(Path.Combine(_dir, "ssh"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public void Dispose()
    {
        if (!_sshd.HasExited)
        {
            _sshd.Kill();
            _sshd.WaitForExit();
        }
        _sshd.Dispose();
        _f.Dispose();
    }

    private (int ExitCode, string Stdout, string Stderr) VirshOverSsh(params string[] args) =>
        Client.Run("/usr/bin/virsh",
            ["-c", $"storage+ssh://root@127.0.0.1:{_port}/system?socket={_f.Socket}&keyfile={_dir}/id&no_verify=1&proxy=netcat", .. args],
            psi =>
            {
                psi.Environment["PATH"] = _dir + ":" + psi.Environment["PATH"];
                psi.Environment["HOME"] = _dir;
            });

    [Fact]
    public void Virsh_over_ssh_manages_pools_and_volumes()
    {
        string pool = Path.Combine(_f.Kvmstor.Root, "pools", "sp");
        Assert.Equal(0, _f.Kvmstor.Run("pool-create-as", "sp", "dir", "--target", pool, "--build").ExitCode);
        var list = VirshOverSsh("pool-list", "--all", "--name");
        Assert.True(list.ExitCode == 0, list.Stderr);
        Assert.Equal("sp\n\n", Client.TrimLines(list.Stdout));
        var create = VirshOverSsh("vol-create-as", "sp", "over-ssh.img", "1M");
        Assert.True(create.ExitCode == 0, create.Stderr);
        Assert.Equal("Vol over-ssh.img created\n\n", create.Stdout);
        Assert.Equal(1L << 20, new FileInfo(Path.Combine(pool, "over-ssh.img")).Length);
        // The same listing as the CLI's own.
        Assert.Equal(_f.Kvmstor.Run("vol-list", "sp", "--details").Stdout, VirshOverSsh("vol-list", "sp", "--details").Stdout);
        string up = Path.Combine(_f.Kvmstor.Root, "up.bin"), down = Path.Combine(_f.Kvmstor.Root, "down.bin");
        File.WriteAllBytes(up, Enumerable.Range(0, 1 << 20).Select(i => (byte)(i % 253)).ToArray());
        Assert.Equal(0, VirshOverSsh("vol-upload", "over-ssh.img", up, "--pool", "sp").ExitCode);
        Assert.Equal(0, VirshOverSsh("vol-download", "over-ssh.img", down, "--pool", "sp").ExitCode);
        Assert.Equal(File.ReadAllBytes(up), File.ReadAllBytes(down));
    }

    private static void Must(string program, params string[] args)
    {
        var r = Client.Run(program, args);
        Assert.True(r.ExitCode == 0, $"{program}: {r.Stderr}");
    }
}
