using System.Text;
using System.Text.RegularExpressions;

namespace KvmStor.IntegrationTests.Ceph;

/// <summary>
/// A booted guest with an RBD volume: kvmstor creates the image, attach-disk --pool/--vol puts it in the domain,
/// domxml-to-native turns it into qemu's rbd driver (qemu-block-extra) with the cephx key in a secret object that
/// reads the secret store's 0600 file, the guest writes its marker to the disk and powers off, and the marker is read
/// back both through kvmstor (vol-download) and through Ceph's own rbd tool (rbd export).
/// </summary>
[Collection("Ceph")]
public sealed class RbdGuestBootTests(CephCluster cluster)
{
    [Fact]
    public void A_booted_guest_writes_to_an_rbd_volume_through_qemus_rbd_driver()
    {
        using var session = new RbdPoolSession(cluster);
        string vol = "boot-" + Guid.NewGuid().ToString("N")[..8];
        const string domainName = "rbdboot";
        try
        {
            session.Must("vol-create-as", session.PoolName, vol, "8M");

            string domain = MarkerGuest.WriteDomain(session.Kvmstor.Root, domainName, disks: 1);
            session.Must("define", domain);
            session.Must("attach-disk", domainName, "--pool", session.PoolName, "--vol", vol, "--serial", "RBDDISK");

            string argvLine = session.Must("domxml-to-native", "qemu-argv", "--domain", domainName).Trim();
            Assert.DoesNotContain(cluster.Key, argvLine);
            var keySecret = Regex.Match(argvLine,
                $"driver=rbd,pool={cluster.Pool},image={vol},server\\.0\\.host=127\\.0\\.0\\.1,server\\.0\\.port=6789,user=admin,key-secret=(secret-[0-9a-f-]{{36}})");
            Assert.True(keySecret.Success, argvLine);
            var keyFile = Regex.Match(argvLine, $"-object secret,id={keySecret.Groups[1].Value},format=base64,file=(\\S+)");
            Assert.True(keyFile.Success, argvLine);
            // The file qemu reads is the secret store's own copy of the key, readable by its owner only.
            string keyPath = keyFile.Groups[1].Value.Trim('\'');
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyPath));
            Assert.Equal(cluster.Key, File.ReadAllText(keyPath).Trim());

            string console = MarkerGuest.RunGuest(argvLine, TimeSpan.FromSeconds(110));
            Assert.True(console.Contains("KVMSTOR-GUEST-DONE"), console); // the whole console when the guest died early
            Assert.True(console.Contains("guest wrote marker to vda (RBDDISK)"), console);

            string copy = Path.Combine(session.Kvmstor.Root, "rbd.copy");
            session.Must("vol-download", "--pool", session.PoolName, vol, copy, "--length", "4096");
            Assert.StartsWith("KVMSTOR-MARK-RBDDISK", Encoding.ASCII.GetString(File.ReadAllBytes(copy), 0, 32));
            byte[] exported = cluster.Export(vol);
            Assert.Equal(8 << 20, exported.Length);
            Assert.StartsWith("KVMSTOR-MARK-RBDDISK", Encoding.ASCII.GetString(exported, 0, 32));

            session.Must("undefine", domainName);
            // qemu closed the image when the guest powered off, so its watch is gone and the delete succeeds at once
            // (unlike a killed qemu, whose watch lasts until the OSD times it out).
            session.Must("vol-delete", "--pool", session.PoolName, vol);
            Assert.Null(cluster.Info(vol));
        }
        finally
        {
            // After a failure the image may still be watched by a qemu that was killed: wait for the OSD to drop it.
            var deadline = DateTime.UtcNow.AddSeconds(90);
            while (cluster.Info(vol) is not null && DateTime.UtcNow < deadline)
                if (cluster.Rbd("rm", $"{cluster.Pool}/{vol}").Code != 0) Thread.Sleep(2000);
        }
    }
}
