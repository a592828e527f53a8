using System.Text.RegularExpressions;
using KvmStor.Images;
using static KvmStor.IntegrationTests.ImagesTestSupport;

namespace KvmStor.IntegrationTests;

/// <summary>Headers written by qemu-img beyond libvirt's reference set: backing files of every kind, encryption, qcow2 features.</summary>
public class ImagesQemuFormatsTests
{
    private static ulong QemuVirtualSize(string path)
        => ulong.Parse(Regex.Match(Run("qemu-img", "info", "--output=json", path), "\"virtual-size\":\\s*(\\d+)").Groups[1].Value);

    [Theory]
    [InlineData("qcow", "100M")]
    [InlineData("vpc", "100M")]
    [InlineData("vmdk", "3G")]
    [InlineData("vdi", "64M")]
    [InlineData("qed", "5G")]
    [InlineData("qcow2", "7G")]
    public void FormatAndVirtualSizeAgreeWithQemu(string format, string size)
    {
        using var dir = new ImagesScratch();
        string path = dir.File("img." + format);
        QemuImg("create", "-f", format, path, size);
        var p = FormatProbe.ProbeFile(path);
        Assert.Equal(format, p.Format);
        Assert.Equal(QemuVirtualSize(path), p.Capacity);
    }

    [Theory]
    [InlineData("qcow2", "qcow2", "qcow2")]
    [InlineData("qcow2", "raw", "raw")]
    [InlineData("qed", "raw", "raw")]   // QED's "no probe" flag
    [InlineData("qed", "qcow2", "qcow2")] // left to probing: the backing file is probed
    [InlineData("vmdk", "vmdk", "vmdk")] // parentFileNameHint, format probed
    [InlineData("qcow", "raw", "raw")]
    public void BackingFilesAreFoundAndTheirFormatsResolved(string format, string backingFormat, string expected)
    {
        using var dir = new ImagesScratch();
        string basePath = dir.File("base." + backingFormat), top = dir.File("top." + format);
        QemuImg("create", "-f", backingFormat, basePath, "64M");
        QemuImg("create", "-f", format, "-b", "base." + backingFormat, "-F", backingFormat, top, "64M");
        var probed = VolumeFileProbe.TryProbe(top)!;
        Assert.Equal(format, probed.Format);
        Assert.Equal(basePath, probed.Backing!.Path); // relative name resolved against the overlay's directory
        Assert.Equal(expected, probed.Backing.Format);
        Assert.NotNull(probed.Backing.Status);
    }

    [Fact]
    public void LuksEncryptedQcow2IsReported()
    {
        using var dir = new ImagesScratch();
        string path = dir.File("enc.qcow2");
        // qemu-img times its LUKS key derivation by CPU usage and, on a busy machine, can fail with "Unable to get
        // accurate CPU usage": that is qemu's measurement, not what this test checks, so a few tries are allowed.
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                QemuImg("create", "-f", "qcow2", "--object", "secret,id=sec0,data=kvmstor", "-o", "encrypt.format=luks,encrypt.key-secret=sec0", path, "16M");
                break;
            }
            catch (InvalidOperationException e) when (attempt < 5 && e.Message.Contains("Unable to get accurate CPU usage"))
            {
                File.Delete(path);
            }
        }
        var v = VolumeFileProbe.TryProbe(path)!.ToVolume();
        Assert.Equal("luks", v.Target.Encryption!.Format);
        Assert.Equal(16UL << 20, v.Capacity);
    }

    [Fact]
    public void ExtendedL2AndClusterSizeFromQemu()
    {
        using var dir = new ImagesScratch();
        string path = dir.File("l2.qcow2");
        QemuImg("create", "-f", "qcow2", "-o", "compat=1.1,extended_l2=on,cluster_size=2M,lazy_refcounts=on", path, "1G");
        var v = VolumeFileProbe.TryProbe(path)!.ToVolume();
        Assert.Equal("1.1", v.Target.Compat);
        Assert.Equal(2UL << 20, v.Target.ClusterSize);
        Assert.Equal(["lazy_refcounts", "extended_l2"], v.Target.Features!);
    }

    [Fact]
    public void PlainCompat11HasEmptyFeatures()
    {
        using var dir = new ImagesScratch();
        string path = dir.File("v3.qcow2");
        QemuImg("create", "-f", "qcow2", "-o", "compat=1.1", path, "1G");
        var v = VolumeFileProbe.TryProbe(path)!.ToVolume();
        Assert.Equal("1.1", v.Target.Compat);
        Assert.NotNull(v.Target.Features);
        Assert.Empty(v.Target.Features);
    }
}
