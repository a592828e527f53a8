using System.Text.Json;
using KvmStor.Images.Qcow2;
using static KvmStor.IntegrationTests.Qcow2LifecycleTests;

namespace KvmStor.IntegrationTests;

/// <summary>Images written by qemu-img / qemu-io read identically through kvmstor, and stay consistent when kvmstor writes to them.</summary>
public sealed class Qcow2QemuWrittenTests
{
    private const int RawSize = 4 * 1024 * 1024;

    /// <summary>Random, compressible and zero regions, so converted images hold plain, compressed and absent clusters.</summary>
    private static byte[] SourceContent()
    {
        var content = new byte[RawSize];
        var random = new Random(7);
        random.NextBytes(content.AsSpan(0, 300_000));
        for (int i = 1024 * 1024; i < 2 * 1024 * 1024; i++) content[i] = (byte)(i / 1000 % 7); // compresses well
        random.NextBytes(content.AsSpan(3 * 1024 * 1024 + 100, 50_000));
        content[RawSize - 1] = 0x5a;
        return content;
    }

    [Theory]
    [InlineData("")]
    [InlineData("-c")]
    [InlineData("-o cluster_size=4096")]
    [InlineData("-c -o cluster_size=4096")]
    [InlineData("-c -o cluster_size=512")]
    [InlineData("-o cluster_size=2M")]
    [InlineData("-c -o cluster_size=2M")]
    [InlineData("-o compat=0.10")]
    [InlineData("-c -o compat=0.10")]
    [InlineData("-o extended_l2=on")]
    [InlineData("-c -o extended_l2=on")]
    [InlineData("-o refcount_bits=1")]
    [InlineData("-c -o refcount_bits=64")]
    [InlineData("-o refcount_bits=8,lazy_refcounts=on")]
    public void ConvertedImage_ReadsIdentically_AndAcceptsOurWrites(string convertOptions)
    {
        using var dir = new Qcow2ScratchDir();
        byte[] content = SourceContent();
        string raw = dir.File("src.raw"), image = dir.File("img.qcow2");
        File.WriteAllBytes(raw, content);
        Qcow2QemuTools.RunOk("qemu-img", ["convert", "-f", "raw", "-O", "qcow2", .. convertOptions.Split(' ', StringSplitOptions.RemoveEmptyEntries), raw, image]);

        AssertOurReadEquals(image, content);
        using (Qcow2Image img = Qcow2Image.Open(image, writable: false))
        {
            var extents = img.GetExtents().ToList();
            AssertExtentsTile(extents, RawSize);
            foreach (Qcow2Extent e in extents.Where(e => e.Kind != Qcow2ExtentKind.Data))
                Assert.False(content.AsSpan((int)e.Offset, (int)e.Length).ContainsAnyExcept((byte)0), $"non-zero bytes in {e}");
            AssertDataMatchesQemuMap(image, extents);
        }

        // Overwrite parts of plain, compressed and absent clusters.
        var random = new Random(8);
        using (Qcow2Image img = Qcow2Image.Open(image, writable: true))
        {
            foreach ((int offset, int length) in new[] { (100, 1000), (1024 * 1024 + 3000, 70_000), (2 * 1024 * 1024 + 5, 9000), (RawSize - 10, 10) })
            {
                var data = new byte[length];
                random.NextBytes(data);
                img.Write(offset, data);
                data.CopyTo(content, offset);
            }
        }
        Qcow2QemuTools.Check(image);
        AssertSameBytes(content, Qcow2QemuTools.ReadAllViaQemu(image, dir.Path), "qemu-img convert after kvmstor writes");
        AssertOurReadEquals(image, content);
    }

    [Theory]
    [InlineData("compat=1.1")]
    [InlineData("extended_l2=on")]
    [InlineData("extended_l2=on,cluster_size=16k")]
    public void ZeroClustersWrittenByQemuIo_ReadAsZeros_OverBackingData(string createOptions)
    {
        using var dir = new Qcow2ScratchDir();
        byte[] baseContent = SourceContent();
        File.WriteAllBytes(dir.File("base.raw"), baseContent);
        string image = dir.File("top.qcow2");
        Qcow2QemuTools.RunOk("qemu-img", "create", "-f", "qcow2", "-o", createOptions, "-b", "base.raw", "-F", "raw", image);
        Qcow2QemuTools.QemuIo(image, "qcow2",
            "write -P 0xaa 64k 256k",
            "write -z 128k 64k",      // whole clusters over own data
            "write -z 1M 128k",       // whole clusters over backing data
            "write -z 2052k 4k",      // a subcluster (or partial cluster) over backing data
            "write -P 0x11 3000k 1k"); // partial cluster: the rest comes from the backing file
        byte[] expected = Qcow2QemuTools.ReadAllViaQemu(image, dir.Path);
        Assert.True(expected.AsSpan(1024 * 1024, 128 * 1024).IndexOfAnyExcept((byte)0) < 0);
        AssertOurReadEquals(image, expected);
        using (Qcow2Image img = Qcow2Image.Open(image, writable: false))
        {
            var extents = img.GetExtents().ToList();
            AssertExtentsTile(extents, RawSize);
            Assert.Contains(extents, e => e.Kind == Qcow2ExtentKind.Zero && e.Offset <= 1024 * 1024 && e.End >= 1024 * 1024 + 128 * 1024);
        }

        // Our writes into zero clusters and partial subclusters keep the image consistent.
        using (Qcow2Image img = Qcow2Image.Open(image, writable: true))
        {
            img.Write(1024 * 1024 + 100, new byte[] { 1, 2, 3 });
            img.Write(2052 * 1024 + 4000, new byte[] { 4, 5, 6, 7, 8 });
            img.Write(3000 * 1024 - 10, new byte[20]);
        }
        expected[1024 * 1024 + 100] = 1; expected[1024 * 1024 + 101] = 2; expected[1024 * 1024 + 102] = 3;
        new byte[] { 4, 5, 6, 7, 8 }.CopyTo(expected, 2052 * 1024 + 4000);
        Array.Clear(expected, 3000 * 1024 - 10, 20);
        Qcow2QemuTools.Check(image);
        AssertSameBytes(expected, Qcow2QemuTools.ReadAllViaQemu(image, dir.Path), "qemu-img convert");
        AssertOurReadEquals(image, expected);
    }

    [Fact]
    public void BackingChainMadeByQemu_ReadsIdentically_ThroughThreeLevels()
    {
        using var dir = new Qcow2ScratchDir();
        File.WriteAllBytes(dir.File("base.raw"), SourceContent());
        Qcow2QemuTools.RunOk("qemu-img", "create", "-f", "qcow2", "-b", "base.raw", "-F", "raw", dir.File("mid.qcow2"));
        Qcow2QemuTools.QemuIo(dir.File("mid.qcow2"), "qcow2", "write -P 0x33 0 100k", "write -P 0x44 1500k 3k");
        Qcow2QemuTools.RunOk("qemu-img", "create", "-f", "qcow2", "-o", "extended_l2=on", "-b", "mid.qcow2", "-F", "qcow2",
            dir.File("top.qcow2"), "6M"); // longer than its backing chain: the tail reads zeros
        Qcow2QemuTools.QemuIo(dir.File("top.qcow2"), "qcow2", "write -P 0x55 50k 2k", "write -P 0x66 1501k 1k", "write -P 0x77 5M 4k");
        string top = dir.File("top.qcow2");
        byte[] expected = Qcow2QemuTools.ReadAllViaQemu(top, dir.Path);
        Assert.Equal(6 * 1024 * 1024, expected.Length);
        AssertOurReadEquals(top, expected);

        var random = new Random(9);
        var data = new byte[200_000];
        random.NextBytes(data);
        using (Qcow2Image img = Qcow2Image.Open(top, writable: true)) img.Write(40_000, data);
        data.CopyTo(expected, 40_000);
        Qcow2QemuTools.Check(top);
        AssertSameBytes(expected, Qcow2QemuTools.ReadAllViaQemu(top, dir.Path), "qemu-img convert");
    }

    [Fact]
    public void WritesAfterInternalSnapshot_CopyOnWrite_AndLeaveTheSnapshotIntact()
    {
        using var dir = new Qcow2ScratchDir();
        string image = dir.File("snap.qcow2");
        byte[] original = SourceContent();
        File.WriteAllBytes(dir.File("src.raw"), original);
        Qcow2QemuTools.RunOk("qemu-img", "convert", "-f", "raw", "-O", "qcow2", dir.File("src.raw"), image);
        Qcow2QemuTools.RunOk("qemu-img", "snapshot", "-c", "before", image);

        byte[] changed = (byte[])original.Clone();
        var data = new byte[100_000];
        new Random(10).NextBytes(data);
        using (Qcow2Image img = Qcow2Image.Open(image, writable: true)) img.Write(20_000, data);
        data.CopyTo(changed, 20_000);
        Qcow2QemuTools.Check(image);
        AssertSameBytes(changed, Qcow2QemuTools.ReadAllViaQemu(image, dir.Path), "active layer");

        Qcow2QemuTools.RunOk("qemu-img", "snapshot", "-a", "before", image);
        Qcow2QemuTools.Check(image);
        AssertSameBytes(original, Qcow2QemuTools.ReadAllViaQemu(image, dir.Path), "reverted snapshot");
    }

    [Fact]
    public void ManySmallClusters_GrowTheRefcountTable_AndStayConsistent()
    {
        using var dir = new Qcow2ScratchDir();
        string image = dir.File("small.qcow2");
        const long size = 16 * 1024 * 1024;
        Qcow2Image.Create(image, new Qcow2CreateOptions { VirtualSize = size, ClusterSize = 512 });
        var data = new byte[10 * 1024 * 1024]; // 512-byte clusters: one refcount table cluster covers only 8 MiB of file
        new Random(11).NextBytes(data);
        using (Qcow2Image img = Qcow2Image.Open(image, writable: true)) img.Write(3 * 1024 * 1024 + 17, data);
        byte[] header = File.ReadAllBytes(image).AsSpan(0, 64).ToArray();
        Assert.NotEqual(512UL, System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(48))); // the table moved
        var expected = new byte[size];
        data.CopyTo(expected, 3 * 1024 * 1024 + 17);
        Qcow2QemuTools.Check(image);
        AssertSameBytes(expected, Qcow2QemuTools.ReadAllViaQemu(image, dir.Path), "qemu-img convert");
        AssertOurReadEquals(image, expected);
    }

    [Fact]
    public void DataWrittenByKvmstor_ComparesEqualWithQemuImgCompare()
    {
        using var dir = new Qcow2ScratchDir();
        string image = dir.File("cmp.qcow2"), raw = dir.File("cmp.raw");
        byte[] content = SourceContent();
        File.WriteAllBytes(raw, content);
        Qcow2Image.Create(image, new Qcow2CreateOptions { VirtualSize = RawSize, ExtendedL2 = true });
        using (Qcow2Image img = Qcow2Image.Open(image, writable: true))
            for (int offset = 0; offset < RawSize; offset += 256 * 1024)
                img.Write(offset, content.AsSpan(offset, 256 * 1024)); // all-zero pieces stay unallocated
        Qcow2QemuTools.RunOk("qemu-img", "compare", "-f", "raw", "-F", "qcow2", raw, image);
        Qcow2QemuTools.Check(image);
        using (Qcow2Image img = Qcow2Image.Open(image, writable: false))
            Assert.Contains(img.GetExtents(), e => e.Kind == Qcow2ExtentKind.Unallocated && e.Length >= 256 * 1024);
    }

    private static void AssertExtentsTile(List<Qcow2Extent> extents, long size)
    {
        long pos = 0;
        foreach (Qcow2Extent e in extents)
        {
            Assert.Equal(pos, e.Offset);
            Assert.True(e.Length > 0);
            pos = e.End;
        }
        Assert.Equal(size, pos);
    }

    /// <summary>Our Data extents are exactly the ranges qemu-img map reports as data stored in this image.</summary>
    private static void AssertDataMatchesQemuMap(string image, List<Qcow2Extent> extents)
    {
        using JsonDocument map = JsonDocument.Parse(Qcow2QemuTools.RunOk("qemu-img", "map", "--output=json", image).Output);
        var qemuData = new List<(long Start, long End)>();
        foreach (JsonElement e in map.RootElement.EnumerateArray())
        {
            if (!e.GetProperty("data").GetBoolean() || e.GetProperty("depth").GetInt32() != 0) continue;
            long start = e.GetProperty("start").GetInt64(), end = start + e.GetProperty("length").GetInt64();
            if (qemuData.Count > 0 && qemuData[^1].End == start) qemuData[^1] = (qemuData[^1].Start, end);
            else qemuData.Add((start, end));
        }
        var ours = extents.Where(e => e.Kind == Qcow2ExtentKind.Data).Select(e => (e.Offset, e.End)).ToList();
        Assert.Equal(qemuData, ours);
    }
}
