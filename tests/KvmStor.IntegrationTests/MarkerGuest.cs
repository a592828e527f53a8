using System.Diagnostics;
using System.Text;

namespace KvmStor.IntegrationTests;

/// <summary>
/// The guest the booted-guest tests run under TCG: Debian's kernel with a busybox initramfs whose init loads
/// virtio_blk, writes "KVMSTOR-MARK-&lt;serial&gt;" at the start of every /dev/vdX, and powers off.
/// </summary>
internal static class MarkerGuest
{
    // Load order of the modules between the kernel and /dev/vdX.
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
        while [ ! -e /sys/block/@LAST_DISK@ ] && [ $n -lt 50 ]; do sleep 0.2; n=$((n+1)); done
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

    /// <param name="disks">How many virtio disks the guest has: init waits for the last of them (vda, vdb, ...) to appear.</param>
    /// <summary>
    /// Writes the definition of a guest called <paramref name="name"/> that boots the newest /boot kernel with the
    /// marker initramfs (waiting for <paramref name="disks"/> disks) and has no devices yet; returns the XML's path.
    /// no_timer_check: under TCG on a busy host the kernel's early IO-APIC timer check can miss its ticks and panic
    /// ("IO-APIC + timer doesn't work"), which powered a guest off before init ran in a busy-host CI run.
    /// </summary>
    public static string WriteDomain(string directory, string name, int disks = 2)
    {
        string kernel = System.IO.Directory.EnumerateFiles("/boot", "vmlinuz-*").Order().LastOrDefault()
            ?? throw new InvalidOperationException("no kernel in /boot: apt-get install linux-image-amd64");
        string version = Path.GetFileName(kernel)["vmlinuz-".Length..];
        if (!System.IO.File.Exists("/bin/busybox")) throw new InvalidOperationException("no /bin/busybox: apt-get install busybox-static");
        string initrd = Path.Combine(directory, name + "-initrd.cpio");
        System.IO.File.WriteAllBytes(initrd, BuildInitramfs(version, disks));
        string domain = Path.Combine(directory, name + ".xml");
        System.IO.File.WriteAllText(domain, $"""
            <domain type='qemu'>
              <name>{name}</name>
              <memory unit='MiB'>256</memory>
              <vcpu>1</vcpu>
              <os>
                <type arch='x86_64' machine='pc'>hvm</type>
                <kernel>{kernel}</kernel>
                <initrd>{initrd}</initrd>
                <cmdline>console=ttyS0 panic=-1 loglevel=4 no_timer_check</cmdline>
              </os>
              <devices>
              </devices>
            </domain>
            """);
        return domain;
    }

    public static byte[] BuildInitramfs(string kernelVersion, int disks = 2)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(disks, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(disks, 26);
        string init = Init.Replace("@LAST_DISK@", "vd" + (char)('a' + disks - 1));
        var cpio = new GuestInitramfs();
        foreach (var dir in new[] { "bin", "dev", "proc", "sys", "m" }) cpio.Directory(dir);
        cpio.CharDevice("dev/console", 5, 1);
        cpio.File("bin/busybox", System.IO.File.ReadAllBytes("/bin/busybox"), executable: true);
        cpio.File("init", Encoding.ASCII.GetBytes(init), executable: true);
        string modules = $"/lib/modules/{kernelVersion}/kernel/drivers";
        foreach (var module in Modules)
        {
            string path = new[] { $"{modules}/virtio/{module}.ko", $"{modules}/block/{module}.ko" }.FirstOrDefault(System.IO.File.Exists)
                ?? throw new FileNotFoundException($"kernel module {module} not found under {modules}");
            cpio.File($"m/{module}.ko", System.IO.File.ReadAllBytes(path));
        }
        return cpio.Finish();
    }

    /// <summary>Runs the printed command line through a shell (so its quoting is proven too); returns the serial console.</summary>
    public static string RunGuest(string commandLine, TimeSpan timeout)
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
