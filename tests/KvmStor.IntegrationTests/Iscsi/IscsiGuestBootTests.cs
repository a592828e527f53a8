using System.Diagnostics;
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
    private static readonly string[] Modules =
        ["virtio_ring", "virtio", "virtio_pci_legacy_dev", "virtio_pci_modern_dev", "virtio_pci", "virtio_blk"];

    private const string Init = """
        #!/bin/busybox sh
        /bin/busybox --install -s /bin
        mount -t proc proc /proc
        mount -t sysfs sys /sys
        mount -t devtmpfs dev /dev
        for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk; do
          insmod /m/$m.ko
        done
        n=0
        while [ ! -e /sys/block/vdb ] && [ $n -lt 50 ]; do sleep 0.2; n=$((n+1)); done
        for d in /sys/block/vd*; do
          name=${d##*/}
          serial=$(cat $d/serial)
          printf 'KVMSTOR-MARK-%s' "$serial" > /dev/$name
          echo "guest wrote marker to $name ($serial)"
        done
        sync
        echo KVMSTOR-GUEST-DONE
        poweroff -f

        """;

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
        string kernel = Directory.EnumerateFiles("/boot", "vmlinuz-*").Order().LastOrDefault()
            ?? throw new InvalidOperationException("no kernel in /boot: apt-get install linux-image-amd64");
        string version = Path.GetFileName(kernel)["vmlinuz-".Length..];
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

        string initrd = Path.Combine(_k.Root, "initrd.cpio");
        File.WriteAllBytes(initrd, BuildInitramfs(version));
        string domain = Path.Combine(_k.Root, "boot.xml");
        File.WriteAllText(domain, $"""
            <domain type='qemu'>
              <name>iscsiboot</name>
              <memory unit='MiB'>256</memory>
              <vcpu>1</vcpu>
              <os>
                <type arch='x86_64' machine='pc'>hvm</type>
                <kernel>{kernel}</kernel>
                <initrd>{initrd}</initrd>
                <cmdline>console=ttyS0 panic=-1 loglevel=4</cmdline>
              </os>
              <devices>
              </devices>
            </domain>
            """);
        Ok("define", domain);
        Ok("attach-disk", "iscsiboot", "--pool", "images", "--vol", "data.raw", "--serial", "RAWDISK");
        Ok("attach-disk", "iscsiboot", "--pool", "luns", "--vol", "unit:0:0:1", "--serial", "ISCSILUN");

        string argvLine = Ok("domxml-to-native", "qemu-argv", "--domain", "iscsiboot").Trim();
        Assert.Contains($"driver=iscsi,transport=tcp,portal=127.0.0.1:{_target.Port},target={_target.Iqn},lun=1,initiator-name={Initiator},user=guestuser,password-secret=", argvLine);
        Assert.DoesNotContain(Password, argvLine);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(Password)), argvLine);

        string console = RunGuest(argvLine, TimeSpan.FromSeconds(110));
        Assert.Contains("KVMSTOR-GUEST-DONE", console);
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

    private static byte[] BuildInitramfs(string kernelVersion)
    {
        var cpio = new GuestInitramfs();
        foreach (var dir in new[] { "bin", "dev", "proc", "sys", "m" }) cpio.Directory(dir);
        cpio.CharDevice("dev/console", 5, 1);
        cpio.File("bin/busybox", File.ReadAllBytes("/bin/busybox"), executable: true);
        cpio.File("init", Encoding.ASCII.GetBytes(Init), executable: true);
        string modules = $"/lib/modules/{kernelVersion}/kernel/drivers";
        foreach (var module in Modules)
        {
            string path = new[] { $"{modules}/virtio/{module}.ko", $"{modules}/block/{module}.ko" }.FirstOrDefault(File.Exists)
                ?? throw new FileNotFoundException($"kernel module {module} not found under {modules}");
            cpio.File($"m/{module}.ko", File.ReadAllBytes(path));
        }
        return cpio.Finish();
    }

    /// <summary>Runs the printed command line through a shell (its quoting proven too); returns the serial console.</summary>
    private static string RunGuest(string commandLine, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo("bash", ["-c", "exec " + commandLine])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false,
        };
        using var qemu = Process.Start(psi)!;
        var stdout = qemu.StandardOutput.ReadToEndAsync();
        var stderr = qemu.StandardError.ReadToEndAsync();
        if (!qemu.WaitForExit(timeout))
        {
            qemu.Kill(entireProcessTree: true);
            qemu.WaitForExit();
            Assert.Fail($"the guest did not power off within {timeout.TotalSeconds} s:\n{stdout.Result}\n{stderr.Result}");
        }
        Assert.True(qemu.ExitCode == 0, $"qemu exited with {qemu.ExitCode}:\n{stderr.Result}\n{stdout.Result}");
        return stdout.Result;
    }
}
