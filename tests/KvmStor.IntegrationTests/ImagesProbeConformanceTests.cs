using System.Text.RegularExpressions;
using System.Xml.Linq;
using KvmStor.Host;
using KvmStor.Images;
using KvmStor.Model;
using static KvmStor.IntegrationTests.ImagesTestSupport;

namespace KvmStor.IntegrationTests;

/// <summary>
/// Recreates, with qemu-img and the same options libvirt 9.0 used (libvirt-9.0-observed.md §4.1), each file
/// behind libvirt-9.0-outputs/vol-dir-*.xml and vol-fs-qcow2, then checks the probe against that XML.
/// </summary>
public sealed class ImagesReferencePool : IDisposable
{
    public const string LibvirtDir = "/var/lib/libvirt/ref-pools/refdir/", LibvirtFsDir = "/var/lib/libvirt/ref-pools/reffs/";
    private const string G1 = "1048576K";

    private readonly ImagesScratch _dir = new(), _deleted = new(), _fs = new();
    public string Dir => _dir.Path + "/";
    public string DeletedDir => _deleted.Path + "/";
    public string FsDir => _fs.Path + "/";

    public ImagesReferencePool()
    {
        string P(string name) => _dir.File(name);

        using (var raw = File.OpenHandle(P("raw1.img"), FileMode.CreateNew, FileAccess.ReadWrite))
            FileSystem.Allocate(raw, 0, 1L << 30); // no --allocation: libvirt fallocates the whole capacity
        using (var sparse = File.OpenHandle(P("raw-sparse.img"), FileMode.CreateNew, FileAccess.ReadWrite))
            FileSystem.Truncate(sparse, 1L << 30);

        QemuImg("create", "-f", "qcow2", "-o", "compat=0.10", P("q1.qcow2"), G1);
        QemuImg("create", "-f", "qcow2", "-o", "preallocation=falloc,compat=0.10", P("q1-prealloc.qcow2"), G1);
        QemuImg("create", "-f", "qcow2", "-o", "preallocation=metadata,compat=0.10", P("q4-meta.qcow2"), G1);
        QemuImg("create", "-f", "qcow2", "-b", P("q1.qcow2"), "-o", "backing_fmt=qcow2,compat=0.10", P("q1-overlay.qcow2"), G1);
        QemuImg("create", "-f", "qcow2", "-b", P("raw1.img"), "-o", "backing_fmt=raw,compat=0.10", P("q2-overlay-raw.qcow2"), "2097152K");
        QemuImg("create", "-f", "qcow2", "-b", P("q1.qcow2"), "-o", "backing_fmt=raw,compat=0.10", P("q3-overlay-noformat.qcow2"), G1);
        QemuImg("convert", "-f", "qcow2", "-O", "qcow2", "-o", "compat=0.10", P("q1.qcow2"), P("q1-clone.qcow2"));
        QemuImg("create", "-f", "qcow2", "-o", "compat=1.1,lazy_refcounts", P("perm.qcow2"), "65536K");
        QemuImg("create", "-f", "qcow2", "-o", "compat=0.10", P("w-q.qcow2"), "65536K");
        QemuImg("create", "-f", "vmdk", P("vmdk1.vmdk"), G1);
        QemuImg("create", "-f", "qed", P("qed1.qed"), G1);
        QemuImg("create", "-f", "vdi", P("vdi1.vdi"), G1);
        using (var iso = File.OpenHandle(P("iso1.iso"), FileMode.CreateNew, FileAccess.ReadWrite))
            FileSystem.Truncate(iso, 1 << 20);
        Directory.CreateDirectory(P("subdir"));

        // The overlay whose backing file was vol-deleted lives in its own directory.
        QemuImg("create", "-f", "qcow2", "-o", "compat=0.10", _deleted.File("q1.qcow2"), G1);
        QemuImg("create", "-f", "qcow2", "-b", _deleted.File("q1.qcow2"), "-o", "backing_fmt=qcow2,compat=0.10", _deleted.File("q1-overlay.qcow2"), G1);
        File.Delete(_deleted.File("q1.qcow2"));

        QemuImg("create", "-f", "qcow2", "-o", "compat=0.10", _fs.File("a.qcow2"), G1);

        // libvirt creates volumes 0600 root:root unless the XML says otherwise.
        foreach (var dir in new[] { _dir.Path, _deleted.Path, _fs.Path })
            foreach (var f in Directory.GetFiles(dir)) FileSystem.SetMode(f, 0x180);
        FileSystem.SetMode(P("subdir"), 0x1ED);
        FileSystem.SetMode(P("perm.qcow2"), 0x1A0);
        FileSystem.SetOwner(P("perm.qcow2"), 107, 108);

        // vol-wipe (zero) of a dense qcow2: libvirt overwrites its allocation with zeros.
        VolumeWiper.Wipe(P("w-q.qcow2"), WipeAlgorithm.Zero, (long)FileSystem.Stat(P("w-q.qcow2")).AllocatedBytes);
    }

    public void Dispose()
    {
        _dir.Dispose();
        _deleted.Dispose();
        _fs.Dispose();
    }
}

public class ImagesProbeConformanceTests(ImagesReferencePool pool) : IClassFixture<ImagesReferencePool>
{
    public static TheoryData<string> ReferenceFiles() =>
    [
        "vol-dir-raw1.img", "vol-dir-raw-sparse.img", "vol-dir-qcow2-plain", "vol-dir-q1-prealloc.qcow2",
        "vol-dir-q4-meta.qcow2", "vol-dir-q1-overlay.qcow2", "vol-dir-q2-overlay-raw.qcow2",
        "vol-dir-q3-overlay-noformat.qcow2", "vol-dir-overlay-missing-backing", "vol-dir-qcow2-compat11-lazy-refcounts",
        "vol-dir-qcow2-after-wipe", "vol-dir-vmdk1.vmdk", "vol-dir-qed1.qed", "vol-dir-vdi1.vdi",
        "vol-dir-subdirectory", "vol-fs-qcow2",
    ];

    /// <summary>Where our copy of the file behind a reference XML lives.</summary>
    private string LocalPath(string reference, string libvirtPath) => reference switch
    {
        "vol-dir-overlay-missing-backing" => libvirtPath.Replace(ImagesReferencePool.LibvirtDir, pool.DeletedDir),
        "vol-fs-qcow2" => libvirtPath.Replace(ImagesReferencePool.LibvirtFsDir, pool.FsDir),
        _ => libvirtPath.Replace(ImagesReferencePool.LibvirtDir, pool.Dir),
    };

    [Theory]
    [MemberData(nameof(ReferenceFiles))]
    public void ProbeMatchesLibvirtVolDumpXml(string reference)
    {
        var xml = XDocument.Load(Path.Combine(Libvirt90Outputs, reference + ".dumpxml.xml")).Root!;
        var target = xml.Element("target")!;
        string path = LocalPath(reference, target.Element("path")!.Value);

        var probed = VolumeFileProbe.TryProbe(path);
        Assert.NotNull(probed);
        var volume = probed.ToVolume();

        Assert.Equal(xml.Attribute("type")!.Value, volume.Type!.Value.ToXmlName());
        Assert.Equal(xml.Element("name")!.Value, volume.Name);
        Assert.Equal(ulong.Parse(xml.Element("capacity")!.Value), volume.Capacity);
        Assert.Equal(target.Element("format")!.Attribute("type")!.Value, volume.Target.Format);

        // Physical is st_size: the same qemu-img (7.2) lays files out the same way.
        var physical = xml.Element("physical");
        Assert.Equal(physical is null ? null : ulong.Parse(physical.Value), volume.Physical);

        var perms = target.Element("permissions")!;
        Assert.Equal(Convert.ToInt32(perms.Element("mode")!.Value, 8), volume.Target.Permissions!.Mode);
        Assert.Equal(long.Parse(perms.Element("owner")!.Value), volume.Target.Permissions.Owner);
        Assert.Equal(long.Parse(perms.Element("group")!.Value), volume.Target.Permissions.Group);
        AssertTimestamps(volume.Target.Timestamps);

        Assert.Equal(target.Element("compat")?.Value, volume.Target.Compat);
        var features = target.Element("features");
        if (features is not null) Assert.Equal(features.Elements().Select(e => e.Name.LocalName), volume.Target.Features!);
        else Assert.True(volume.Target.Features is null);

        // <clusterSize> only appears in libvirt's output once a pool refresh probed the file, and it survives a
        // wipe that turned the file raw; where the XML has it for a qcow2, the probe must agree.
        var cluster = target.Element("clusterSize");
        if (cluster is not null && volume.Target.Format == "qcow2")
            Assert.Equal(ulong.Parse(cluster.Value), volume.Target.ClusterSize);

        var backing = xml.Element("backingStore");
        if (backing is null)
        {
            Assert.Null(volume.BackingStore);
            return;
        }
        Assert.NotNull(volume.BackingStore);
        Assert.Equal(LocalPath(reference, backing.Element("path")!.Value), volume.BackingStore.Path);
        Assert.Equal(backing.Element("format")!.Attribute("type")!.Value, volume.BackingStore.Format);
        Assert.Equal(backing.Element("permissions") is not null, volume.BackingStore.Permissions is not null);
        Assert.Equal(backing.Element("timestamps") is not null, volume.BackingStore.Timestamps is not null);
    }

    [Theory]
    [InlineData("vol-dir-raw-sparse.img")]
    [InlineData("vol-dir-raw1.img")]
    [InlineData("vol-dir-qcow2-plain")]
    [InlineData("vol-dir-q1-overlay.qcow2")]
    [InlineData("vol-dir-qcow2-after-wipe")]
    public void AllocationIsBlocksTimes512LikeLibvirtOnExt4(string reference)
    {
        var xml = XDocument.Load(Path.Combine(Libvirt90Outputs, reference + ".dumpxml.xml")).Root!;
        string path = LocalPath(reference, xml.Element("target")!.Element("path")!.Value);
        Assert.Equal(ulong.Parse(xml.Element("allocation")!.Value), VolumeFileProbe.TryProbe(path)!.Allocation);
    }

    [Fact]
    public void IsoCreatedByLibvirtIsZerosSoAProbeSaysRaw()
    {
        // libvirt's iso1.iso is a 1 MiB raw file; its vol-dumpxml says "iso" only because vol-create kept the
        // requested format. A refresh-time probe of those zeros finds no ISO 9660 signature.
        var probed = VolumeFileProbe.TryProbe(Path.Combine(pool.Dir, "iso1.iso"))!;
        Assert.Equal(("raw", 1048576UL, 1048576UL), (probed.Format, probed.Capacity, probed.Physical));
    }

    [Fact]
    public void RealIsoSignatureIsDetectedWithFileSizeAsCapacity()
    {
        using var dir = new ImagesScratch();
        string path = dir.File("cd.iso");
        byte[] image = new byte[1 << 20];
        "\u0001CD001\u0001"u8.CopyTo(image.AsSpan(32768));
        File.WriteAllBytes(path, image);
        var probed = VolumeFileProbe.TryProbe(path)!;
        Assert.Equal(("iso", 1048576UL), (probed.Format, probed.Capacity));
    }

    private static void AssertTimestamps(VolumeTimestamps? t)
    {
        Assert.NotNull(t);
        var stamp = new Regex(@"^\d+(\.\d{9})?$");
        Assert.Matches(stamp, t.Atime!);
        Assert.Matches(stamp, t.Mtime!);
        Assert.Matches(stamp, t.Ctime!);
        Assert.Equal("0", t.Btime);
    }
}
