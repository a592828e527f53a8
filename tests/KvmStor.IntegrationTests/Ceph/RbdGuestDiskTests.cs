using System.Diagnostics;

namespace KvmStor.IntegrationTests.Ceph;

/// <summary>An RBD volume attached to a guest: qemu's rbd driver opens it with the cephx key from the secret's file.</summary>
[Collection("Ceph")]
public sealed class RbdGuestDiskTests(CephCluster cluster)
{
    [Fact]
    public void Qemu_opens_an_attached_rbd_volume_with_the_key_from_a_secret_object()
    {
        using var session = new RbdPoolSession(cluster);
        string vol = "guest-" + Guid.NewGuid().ToString("N")[..6];
        session.Must("vol-create-as", session.PoolName, vol, "16M");
        string domain = Path.Combine(session.Kvmstor.Root, "guest.xml");
        File.WriteAllText(domain, "<domain type='qemu'><name>rbdguest</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
            + "<os><type arch='x86_64' machine='pc'>hvm</type></os><devices></devices></domain>");
        session.Must("define", domain);
        session.Must("attach-disk", "rbdguest", "--pool", session.PoolName, "--vol", vol, "--target", "vda");

        string line = session.Must("domxml-to-native", "qemu-argv", "--domain", "rbdguest").Trim();
        Assert.DoesNotContain(cluster.Key, line);
        var keySecret = System.Text.RegularExpressions.Regex.Match(line,
            $"driver=rbd,pool={cluster.Pool},image={vol},server\\.0\\.host=127\\.0\\.0\\.1,server\\.0\\.port=6789,user=admin,key-secret=(secret-[0-9a-f-]{{36}})");
        Assert.True(keySecret.Success, line);
        Assert.Contains($"-object secret,id={keySecret.Groups[1].Value},format=base64,file=", line);
        var argv = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);

        // Paused (-S), qemu still opens every block node at start-up: a wrong key or monitor makes it exit at once.
        var psi = new ProcessStartInfo(argv[0]) { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in argv[1..]) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("-S");
        using var qemu = Process.Start(psi)!;
        var stderr = qemu.StandardError.ReadToEndAsync();
        try
        {
            bool exited = qemu.WaitForExit(6000);
            Assert.False(exited, $"qemu exited ({(exited ? qemu.ExitCode : 0)}): {(exited ? stderr.Result : "")}");
        }
        finally
        {
            if (!qemu.HasExited) { qemu.Kill(); qemu.WaitForExit(); }
        }
        session.Must("undefine", "rbdguest");
        // The killed qemu's watch on the image lasts until the OSD times it out (30 s); until then rbd_remove says EBUSY.
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (session.Run("vol-delete", "--pool", session.PoolName, vol) is { Code: not 0 } failed)
        {
            Assert.Contains("Device or resource busy", failed.Stderr);
            Assert.True(DateTime.UtcNow < deadline, "the image stayed busy for 90 s");
            Thread.Sleep(2000);
        }
    }
}
