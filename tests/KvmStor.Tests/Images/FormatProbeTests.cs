using KvmStor.Images;
using static KvmStor.Tests.Images.ImageHeaders;

namespace KvmStor.Tests.Images;

/// <summary>Headers built byte by byte from the formats' layouts (<see cref="ImageHeaders"/>), probed from memory.</summary>
public class FormatProbeTests
{
    private static byte[] Header(int size = 4096) => new byte[size];

    [Fact]
    public void Qcow2Version2HasCompat010AndNoFeatures()
    {
        var p = FormatProbe.Probe(Qcow2(2, 1UL << 30));
        Assert.Equal("qcow2", p.Format);
        Assert.Equal(1UL << 30, p.Capacity);
        Assert.Equal("0.10", p.Compat);
        Assert.Equal(65536UL, p.ClusterSize);
        Assert.Null(p.Features);
        Assert.Null(p.BackingPath);
        Assert.Null(p.EncryptionFormat);
    }

    [Fact]
    public void Qcow2Version3ReportsLazyRefcountsAndExtendedL2()
    {
        var p = FormatProbe.Probe(Qcow2(3, 64 << 20, clusterBits: 21, compatible: 1, incompatible: 1 << 4));
        Assert.Equal("1.1", p.Compat);
        Assert.Equal(2UL << 20, p.ClusterSize);
        Assert.Equal(["lazy_refcounts", "extended_l2"], p.Features);
    }

    [Fact]
    public void Qcow2Version3WithoutFeaturesHasEmptyList()
    {
        var p = FormatProbe.Probe(Qcow2(3, 1 << 20));
        Assert.NotNull(p.Features);
        Assert.Empty(p.Features);
    }

    [Fact]
    public void Qcow2BackingNameAndFormatExtension()
    {
        var p = FormatProbe.Probe(Qcow2(3, 1 << 30, backing: "base.img", backingFormat: "raw"));
        Assert.Equal("base.img", p.BackingPath);
        Assert.Equal("raw", p.BackingFormat);
    }

    [Fact]
    public void Qcow2BackingWithoutFormatLeavesItOpen()
    {
        var p = FormatProbe.Probe(Qcow2(2, 1 << 30, backing: "/images/base.qcow2"));
        Assert.Equal("/images/base.qcow2", p.BackingPath);
        Assert.Null(p.BackingFormat);
    }

    [Theory]
    [InlineData(1u, "qcow")]
    [InlineData(2u, "luks")]
    public void Qcow2EncryptionMethods(uint method, string expected)
        => Assert.Equal(expected, FormatProbe.Probe(Qcow2(3, 1 << 20, crypt: method)).EncryptionFormat);

    [Fact]
    public void UnknownQcowVersionIsRaw() => Assert.Equal("raw", FormatProbe.Probe(Qcow2(7, 1 << 20)).Format);

    [Fact]
    public void Qcow1()
    {
        var b = Header();
        b[0] = (byte)'Q'; b[1] = (byte)'F'; b[2] = (byte)'I'; b[3] = 0xFB;
        BE32(b, 4, 1);
        BE64(b, 8, 0x100); BE32(b, 16, 4); Text(b, 0x100, "base");
        BE64(b, 24, 10 << 20);
        BE32(b, 36, 1);
        var p = FormatProbe.Probe(b);
        Assert.Equal(("qcow", 10UL << 20, "base", "qcow"), (p.Format, p.Capacity!.Value, p.BackingPath, p.EncryptionFormat));
        Assert.Null(p.ClusterSize);
    }

    [Theory]
    [InlineData(5ul, "raw")]   // has backing + backing format "no probe": raw
    [InlineData(1ul, null)]    // has backing, format left to probing
    public void QedBacking(ulong features, string? backingFormat)
    {
        var b = Header();
        Text(b, 0, "QED\0");
        LE64(b, 16, features);
        LE64(b, 48, 3UL << 30);
        LE32(b, 56, 0x300); LE32(b, 60, 7); Text(b, 0x300, "raw.img");
        var p = FormatProbe.Probe(b);
        Assert.Equal("qed", p.Format);
        Assert.Equal(3UL << 30, p.Capacity);
        Assert.Equal("raw.img", p.BackingPath);
        Assert.Equal(backingFormat, p.BackingFormat);
    }

    [Fact]
    public void VmdkCapacityInSectorsAndParentHint()
    {
        var b = Header();
        Text(b, 0, "KDMV");
        LE32(b, 4, 1);
        LE64(b, 12, 2097152);
        Text(b, 512, "# Disk DescriptorFile\nversion=1\nparentCID=ffffffff\nparentFileNameHint=\"parent.vmdk\"\n");
        var p = FormatProbe.Probe(b);
        Assert.Equal(("vmdk", 1UL << 30, "parent.vmdk"), (p.Format, p.Capacity!.Value, p.BackingPath));
        Assert.Null(p.BackingFormat);
    }

    [Fact]
    public void Vdi()
    {
        var b = Header();
        Text(b, 0, "<<< Oracle VM VirtualBox Disk Image >>>\n");
        LE32(b, 64, 0xBEDA107F); LE32(b, 68, 0x00010001); LE64(b, 368, 1UL << 30);
        Assert.Equal(("vdi", 1UL << 30), (FormatProbe.Probe(b).Format, FormatProbe.Probe(b).Capacity!.Value));
    }

    [Fact]
    public void Vpc()
    {
        var b = Header();
        Text(b, 0, "conectix"); BE32(b, 12, 0x00010000); BE64(b, 40, 5UL << 20);
        var p = FormatProbe.Probe(b);
        Assert.Equal(("vpc", 5UL << 20), (p.Format, p.Capacity!.Value));
    }

    [Fact]
    public void Bochs()
    {
        var b = Header();
        Text(b, 0, "Bochs Virtual HD Image"); LE32(b, 64, 0x00020000); LE64(b, 88, 9UL << 20);
        var p = FormatProbe.Probe(b);
        Assert.Equal(("bochs", 9UL << 20), (p.Format, p.Capacity!.Value));
    }

    [Fact]
    public void CloopHasNoHeaderSize()
    {
        var b = Header();
        Text(b, 0, "#!/bin/sh\n#V2.0 Format\nmodprobe cloop file=$0 && mount -r -t iso9660 /dev/cloop $1\n");
        var p = FormatProbe.Probe(b);
        Assert.Equal("cloop", p.Format);
        Assert.Null(p.Capacity);
    }

    [Fact]
    public void CowWithBacking()
    {
        var b = Header();
        Text(b, 0, "OOOM"); BE32(b, 4, 2); Text(b, 8, "/base/root_fs"); BE64(b, 1036, 4UL << 30);
        var p = FormatProbe.Probe(b);
        Assert.Equal(("cow", 4UL << 30, "/base/root_fs"), (p.Format, p.Capacity!.Value, p.BackingPath));
    }

    [Fact]
    public void PloopImage()
    {
        var b = Header();
        Text(b, 0, "WithouFreSpacExt"); LE64(b, 36, 2048);
        var p = FormatProbe.Probe(b);
        Assert.Equal(("ploop", 1UL << 20), (p.Format, p.Capacity!.Value));
    }

    [Fact]
    public void IsoNeedsTheSignatureAt32769()
    {
        var b = new byte[FormatProbe.HeaderSize];
        Text(b, 32769, "CD001");
        Assert.Equal("iso", FormatProbe.Probe(b).Format);
        Assert.Equal("raw", FormatProbe.Probe(b.AsSpan(0, 32000)).Format);
    }

    [Fact]
    public void DmgIsKnownByItsNameOnly()
    {
        Assert.Equal("dmg", FormatProbe.Probe(Header(), "mac.dmg").Format);
        Assert.Equal("raw", FormatProbe.Probe(Header(), "mac.img").Format);
    }

    [Fact]
    public void ShortOrEmptyHeadersAreRawWithoutThrowing()
    {
        Assert.Equal("raw", FormatProbe.Probe([]).Format);
        Assert.Equal("raw", FormatProbe.Probe("QFI"u8).Format);
        var truncated = Qcow2(3, 1 << 20).AsSpan(0, 30).ToArray(); // magic and version, size cut off
        var p = FormatProbe.Probe(truncated);
        Assert.Equal("qcow2", p.Format);
        Assert.Null(p.Capacity);
    }

    [Fact]
    public void BackingNameBeyondTheHeaderIsReadFromTheFile()
    {
        using var dir = new ImagesTempDirectory();
        var b = new byte[FormatProbe.HeaderSize + 4096];
        Qcow2(2, 1 << 20).AsSpan(0, 72).CopyTo(b);
        BE64(b, 8, (ulong)FormatProbe.HeaderSize + 100);
        BE32(b, 16, 8);
        Text(b, FormatProbe.HeaderSize + 100, "far.qcow");
        string path = dir.File("far.qcow2");
        File.WriteAllBytes(path, b);
        Assert.Equal("far.qcow", FormatProbe.ProbeFile(path).BackingPath);
    }
}
