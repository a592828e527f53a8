using System.Text;

namespace KvmStor.IntegrationTests.Iscsi;

/// <summary>
/// A booted guest with an iSCSI LUN: the LUN of an iscsi-direct pool with CHAP is attached with attach-disk
/// --pool/--vol, domxml-to-native turns it into qemu's own iSCSI initiator (qemu-block-extra) with the password in a
/// secret object that reads the secret store's file, the guest writes a marker to it (and to a dir-pool disk beside
/// it), and vol-download reads the marker back from the LUN.
/// </summary>
public sealed class IscsiGuestBootTests : IDisposable
{
    private const string Password = "guest-Chap-pw-1";
    private const string Initiator = "iqn.2026-01.test.kvmstor:guest";

    private readonly KvmstorProcess _k = new();
    private TgtdTarget? _target;

    public void Dispose()
    {
        _target?.Dispose();
        _k.Dispose();
    }

    [Fact]
    public void A_booted_guest_writes_to_an_iscsi_lun_through_qemus_initiator()
    {
        _target = TgtdTarget.Start("iqn.2026-01.test.kvmstor:guest", [new TgtdLun(8 << 20)], ("guestuser", Password));

        string usage = "kvmstor-it-guest-" + Guid.NewGuid().ToString("N")[..8];
        string secretXml = Path.Combine(_k.Root, "secret.xml"), value = Path.Combine(_k.Root, "value");
        File.WriteAllText(secretXml, $"<secret ephemeral='no' private='yes'><usage type='iscsi'><target>{usage}</target></usage></secret>");
        Ok("secret-define", secretXml);
        File.WriteAllText(value, Password);
        Ok("secret-set-value", usage, "--file", value, "--plain");
        File.Delete(value);
        string poolXml = Path.Combine(_k.Root, "lun.xml");
        File.WriteAllText(poolXml, $"<pool type='iscsi-direct'><name>luns</name><source><host name='127.0.0.1' port='{_target.Port}'/>" +
            $"<device path='{_target.Iqn}'/><auth type='chap' username='guestuser'><secret usage='{usage}'/></auth>" +
            $"<initiator><iqn name='{Initiator}'/></initiator></source></pool>");
        Ok("pool-define", poolXml);
        Ok("pool-start", "luns");
        string images = Path.Combine(_k.Root, "images");
        Ok("pool-define-as", "images", "dir", "--target", images);
        Ok("pool-build", "images");
        Ok("pool-start", "images");
        Ok("vol-create-as", "images", "data.raw", "8M", "--format", "raw");

        string domain = MarkerGuest.WriteDomain(_k.Root, "iscsiboot");
        Ok("define", domain);
        Ok("attach-disk", "iscsiboot", "--pool", "images", "--vol", "data.raw", "--serial", "RAWDISK");
        Ok("attach-disk", "iscsiboot", "--pool", "luns", "--vol", "unit:0:0:1", "--serial", "ISCSILUN");

        string argvLine = Ok("domxml-to-native", "qemu-argv", "--domain", "iscsiboot").Trim();
        Assert.Contains($"driver=iscsi,transport=tcp,portal=127.0.0.1:{_target.Port},target={_target.Iqn},lun=1,initiator-name={Initiator},user=guestuser,password-secret=", argvLine);
        Assert.DoesNotContain(Password, argvLine);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(Password)), argvLine);

        string console = MarkerGuest.RunGuest(argvLine, TimeSpan.FromSeconds(110));
        Assert.True(console.Contains("KVMSTOR-GUEST-DONE"), console); // the whole console when the guest died early
        Assert.True(console.Contains("guest wrote marker to vdb (ISCSILUN)"), console);

        string copy = Path.Combine(_k.Root, "lun.copy");
        Ok("vol-download", "unit:0:0:1", copy, "--pool", "luns", "--length", "4096");
        Assert.StartsWith("KVMSTOR-MARK-ISCSILUN", Encoding.ASCII.GetString(File.ReadAllBytes(copy), 0, 32));
        Assert.StartsWith("KVMSTOR-MARK-ISCSILUN", Encoding.ASCII.GetString(File.ReadAllBytes(_target.LunFile(1)), 0, 32));
    }

    private string Ok(params string[] args)
    {
        var (code, stdout, stderr) = _k.Run(args);
        Assert.True(code == 0, $"kvmstor {string.Join(' ', args)}: {stdout}{stderr}");
        return stdout;
    }
}
