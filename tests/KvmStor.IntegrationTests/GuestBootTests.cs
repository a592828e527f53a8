using System.Text;

namespace KvmStor.IntegrationTests;

/// <summary>
/// The proof: a real Linux guest boots under qemu (TCG when KVM is not usable) with the command line kvmstor
/// generated, sees the two pool volumes kvmstor attached with --pool/--vol — a raw volume and a qcow2 volume whose
/// backing file is another volume of the pool — writes a marker to each, and powers off; the markers are read back
/// through vol-download and qemu-img check passes. Needs qemu-system-x86, linux-image-amd64 and busybox-static
/// (scripts/test.sh must install them) and the dir pool's volume operations (vol-create-as, vol-download).
/// </summary>
public sealed class GuestBootTests : IDisposable
{
    private readonly KvmstorProcess _k = new();


    public void Dispose() => _k.Dispose();

    [Fact]
    public void A_booted_guest_writes_to_both_attached_disks()
    {
        string images = Path.Combine(_k.Root, "images");
        Expect(0, "pool-define-as", "images", "dir", "--target", images);
        Expect(0, "pool-build", "images");
        Expect(0, "pool-start", "images");
        string baseImage = Path.Combine(images, "base.qcow2");
        string overlay = Path.Combine(images, "overlay.qcow2");
        Expect(0, "vol-create-as", "images", "data.raw", "8M", "--format", "raw");
        Expect(0, "vol-create-as", "images", "base.qcow2", "8M", "--format", "qcow2");
        Expect(0, "vol-create-as", "images", "overlay.qcow2", "8M", "--format", "qcow2", "--backing-vol", "base.qcow2", "--backing-vol-format", "qcow2");

        string domain = MarkerGuest.WriteDomain(_k.Root, "boot");
        Expect(0, "define", domain);
        Expect(0, "attach-disk", "boot", "--pool", "images", "--vol", "data.raw", "--serial", "RAWDISK");
        Expect(0, "attach-disk", "boot", "--pool", "images", "--vol", "overlay.qcow2", "--serial", "QCOWDISK", "--cache", "writeback");
        Assert.Contains(" boot     vdb", _k.Run("vol-attach-info", "--pool", "images", "overlay.qcow2").Stdout);

        var (code, argvLine, err) = _k.Run("domxml-to-native", "qemu-argv", "--domain", "boot");
        Assert.True(code == 0, err);
        string console = MarkerGuest.RunGuest(argvLine.Trim(), TimeSpan.FromSeconds(110));
        Assert.True(console.Contains("KVMSTOR-GUEST-DONE"), console); // the whole console when the guest died early
        Assert.True(console.Contains("guest wrote marker to vda (RAWDISK)") && console.Contains("guest wrote marker to vdb (QCOWDISK)"), console);

        // Read back through kvmstor: vol-download gives the raw bytes and the qcow2 container.
        string rawCopy = Path.Combine(_k.Root, "data.copy");
        string overlayCopy = Path.Combine(_k.Root, "overlay.copy.qcow2");
        Expect(0, "vol-download", "--pool", "images", "data.raw", rawCopy);
        Expect(0, "vol-download", "--pool", "images", "overlay.qcow2", overlayCopy);
        Assert.StartsWith("KVMSTOR-MARK-RAWDISK", Encoding.ASCII.GetString(System.IO.File.ReadAllBytes(rawCopy), 0, 32));
        byte[] overlayView = Qcow2QemuTools.ReadAllViaQemu(overlayCopy, _k.Root);
        Assert.StartsWith("KVMSTOR-MARK-QCOWDISK", Encoding.ASCII.GetString(overlayView, 0, 32));
        // The write went to the overlay; the backing image is untouched.
        Assert.All(Qcow2QemuTools.ReadAllViaQemu(baseImage, _k.Root), b => Assert.Equal(0, b));
        Qcow2QemuTools.Check(overlay);
        Qcow2QemuTools.Check(baseImage);
    }

    private void Expect(int exitCode, params string[] args)
    {
        var (code, stdout, stderr) = _k.Run(args);
        Assert.True(code == exitCode, $"kvmstor {string.Join(' ', args)}: {stdout}{stderr}");
    }
}
