using KvmStor.Images.Qcow2;

namespace KvmStor.Tests.Images;

/// <summary>Random writes checked against a plain byte array, across reopen, for each layout kvmstor can create.</summary>
public sealed class Qcow2ReadWriteTests
{
    private const int Size = 2 * 1024 * 1024 + 3 * 512;

    public static TheoryData<string> Layouts => new() { "v2-64k", "v3-4k", "v3-512", "v3-2m", "extl2-16k", "v3-4k-metadata", "extl2-64k-metadata" };

    private static Qcow2CreateOptions Layout(string name) => name switch
    {
        "v2-64k" => new() { VirtualSize = Size, Compat = "0.10" },
        "v3-4k" => new() { VirtualSize = Size, ClusterSize = 4096 },
        "v3-512" => new() { VirtualSize = Size, ClusterSize = 512 },
        "v3-2m" => new() { VirtualSize = Size, ClusterSize = 2 * 1024 * 1024 },
        "extl2-16k" => new() { VirtualSize = Size, ClusterSize = 16384, ExtendedL2 = true },
        "v3-4k-metadata" => new() { VirtualSize = Size, ClusterSize = 4096, Preallocation = Qcow2Preallocation.Metadata },
        "extl2-64k-metadata" => new() { VirtualSize = Size, ExtendedL2 = true, Preallocation = Qcow2Preallocation.Metadata },
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void RandomWrites_ReadBackLikeAByteArray(string layout)
    {
        using var dir = new Qcow2TestDir();
        string path = dir.File("rw.qcow2");
        Qcow2CreateOptions options = Layout(layout);
        Qcow2Image.Create(path, options);
        var model = new byte[Size];
        var random = new Random(layout.GetHashCode());
        using (Qcow2Image img = Qcow2Image.Open(path, writable: true))
        {
            for (int step = 0; step < 150; step++)
            {
                int length = random.Next(1, 3 * options.ClusterSize + 1);
                length = Math.Min(length, 300_000);
                int offset = random.Next(0, Size - length + 1);
                var data = new byte[length];
                if (random.Next(5) != 0) random.NextBytes(data);
                img.Write(offset, data);
                data.CopyTo(model, offset);
                if (step % 50 == 49) AssertContent(img, model);
            }
        }
        using Qcow2Image reopened = Qcow2Image.Open(path, writable: false);
        AssertContent(reopened, model);
        var pieces = new byte[777];
        reopened.Read(Size - 777, pieces);
        Assert.Equal(model.AsSpan(Size - 777).ToArray(), pieces);
    }

    [Fact]
    public void ZeroWrites_OverUnallocatedClusters_StaySparse()
    {
        using var dir = new Qcow2TestDir();
        string path = dir.File("sparse.qcow2");
        Qcow2Image.Create(path, new Qcow2CreateOptions { VirtualSize = Size, ClusterSize = 4096 });
        long before = new FileInfo(path).Length;
        using (Qcow2Image img = Qcow2Image.Open(path, writable: true))
        {
            img.Write(0, new byte[Size]);
            Assert.Equal([new Qcow2Extent(0, Size, Qcow2ExtentKind.Unallocated)], img.GetExtents().ToList());
            img.Write(8192 + 10, new byte[] { 1 });
            Assert.Equal(
                [new Qcow2Extent(0, 8192, Qcow2ExtentKind.Unallocated), new Qcow2Extent(8192, 4096, Qcow2ExtentKind.Data),
                 new Qcow2Extent(12288, Size - 12288, Qcow2ExtentKind.Unallocated)],
                img.GetExtents().ToList());
            Assert.Equal([new Qcow2Extent(9000, 12288 - 9000, Qcow2ExtentKind.Data), new Qcow2Extent(12288, Size - 12288, Qcow2ExtentKind.Unallocated)],
                img.GetExtents(9000).ToList());
        }
        Assert.True(new FileInfo(path).Length <= before + 2 * 4096, "one L2 table and one data cluster at most");
    }

    [Fact]
    public void RawBacking_ShowsThroughUnallocatedClusters_AndPartialWrites()
    {
        using var dir = new Qcow2TestDir();
        var baseContent = new byte[1024 * 1024]; // shorter than the overlay: the rest reads zeros
        new Random(1).NextBytes(baseContent);
        File.WriteAllBytes(dir.File("base.raw"), baseContent);
        string overlay = dir.File("overlay.qcow2");
        Qcow2Image.Create(overlay, new Qcow2CreateOptions { VirtualSize = Size, BackingFile = "base.raw", BackingFormat = "raw" });

        var model = new byte[Size];
        baseContent.CopyTo(model, 0);
        using (Qcow2Image img = Qcow2Image.Open(overlay, writable: true))
        {
            AssertContent(img, model);
            img.Write(70_000, new byte[] { 1, 2, 3 });
            img.Write(200_000, new byte[65536]); // zeros over backing data must be stored
            img.Write(1024 * 1024 - 2, new byte[] { 7, 7, 7, 7 });
        }
        new byte[] { 1, 2, 3 }.CopyTo(model, 70_000);
        Array.Clear(model, 200_000, 65536);
        new byte[] { 7, 7, 7, 7 }.CopyTo(model, 1024 * 1024 - 2);
        using Qcow2Image reopened = Qcow2Image.Open(overlay, writable: false);
        AssertContent(reopened, model);
    }

    [Fact]
    public void Qcow2BackingChain_ResolvesRelativeNamesAgainstEachImage()
    {
        using var dir = new Qcow2TestDir();
        Directory.CreateDirectory(dir.File("sub"));
        string basePath = dir.File("base.qcow2"), middle = dir.File("sub/mid.qcow2"), top = dir.File("sub/top.qcow2");
        Qcow2Image.Create(basePath, new Qcow2CreateOptions { VirtualSize = Size, Compat = "0.10" });
        Qcow2Image.Create(middle, new Qcow2CreateOptions { VirtualSize = Size, BackingFile = "../base.qcow2", BackingFormat = "qcow2" });
        Qcow2Image.Create(top, new Qcow2CreateOptions { VirtualSize = Size, BackingFile = "mid.qcow2", ExtendedL2 = true }); // format probed
        var model = new byte[Size];
        var random = new Random(2);
        foreach ((string path, int offset, int length) in new[] { (basePath, 0, 200_000), (middle, 100_000, 5), (top, 150_000, 100) })
        {
            var data = new byte[length];
            random.NextBytes(data);
            using Qcow2Image img = Qcow2Image.Open(path, writable: true);
            img.Write(offset, data);
            data.CopyTo(model, offset);
        }
        using Qcow2Image topImage = Qcow2Image.Open(top, writable: false);
        AssertContent(topImage, model);
    }

    [Fact]
    public void MissingBackingFile_IsReportedWithItsPath()
    {
        using var dir = new Qcow2TestDir();
        string path = dir.File("orphan.qcow2");
        Qcow2Image.Create(path, new Qcow2CreateOptions { VirtualSize = Size, BackingFile = "gone.raw", BackingFormat = "raw" });
        using Qcow2Image img = Qcow2Image.Open(path, writable: false);
        var e = Assert.Throws<StorageException>(() => img.Read(0, new byte[10]));
        Assert.Contains(dir.File("gone.raw"), e.Message);
    }

    [Fact]
    public void Resize_GrowsWithZeros_AndShrinksOnlyOverEmptySpace()
    {
        using var dir = new Qcow2TestDir();
        string path = dir.File("resize.qcow2");
        Qcow2Image.Create(path, new Qcow2CreateOptions { VirtualSize = 1024 * 1024, ClusterSize = 512 });
        using (Qcow2Image img = Qcow2Image.Open(path, writable: true))
        {
            img.Write(1000, new byte[] { 5, 6 });
            img.Resize(40 * 1024 * 1024, allowShrink: false); // 512-byte clusters: the L1 table must move
            Assert.Equal(40 * 1024 * 1024, img.VirtualSize);
            img.Write(30 * 1024 * 1024, new byte[] { 8 });
            Assert.Throws<StorageException>(() => img.Resize(1024 * 1024, allowShrink: true));
            img.Resize(30 * 1024 * 1024 + 512, allowShrink: true);
            img.Write(30 * 1024 * 1024, new byte[] { 0 }); // zeros over data keep the cluster allocated
            Assert.Contains("offset 31457280", Assert.Throws<StorageException>(() => img.Resize(2048, allowShrink: true)).Message);
        }
        using Qcow2Image reopened = Qcow2Image.Open(path, writable: false);
        Assert.Equal(30 * 1024 * 1024 + 512, reopened.VirtualSize);
        var all = new byte[reopened.VirtualSize];
        reopened.Read(0, all);
        Assert.Equal(5, all[1000]);
        Assert.Equal(6, all[1001]);
        Assert.Equal(2, all.Count(b => b != 0));
    }

    [Fact]
    public void WipeToEmpty_KeepsSizeAndOptions_DropsData()
    {
        using var dir = new Qcow2TestDir();
        string path = dir.File("wipe.qcow2");
        var options = new Qcow2CreateOptions { VirtualSize = Size, ClusterSize = 16384, ExtendedL2 = true, LazyRefcounts = true, Preallocation = Qcow2Preallocation.Full };
        Qcow2Image.Create(path, options);
        using (Qcow2Image img = Qcow2Image.Open(path, writable: true)) img.Write(5000, new byte[] { 1, 2, 3 });
        Qcow2HeaderInfo before = Qcow2Image.ReadHeaderInfo(path);

        Qcow2Image.WipeToEmpty(path);

        Assert.Equal(before, Qcow2Image.ReadHeaderInfo(path));
        using Qcow2Image wiped = Qcow2Image.Open(path, writable: false);
        Assert.Equal([new Qcow2Extent(0, Size, Qcow2ExtentKind.Unallocated)], wiped.GetExtents().ToList());
        Assert.True(new FileInfo(path).Length < Size / 4);
    }

    [Fact]
    public void ReadOnlyImage_RefusesWrites_AndRangesAreChecked()
    {
        using var dir = new Qcow2TestDir();
        string path = dir.File("ro.qcow2");
        Qcow2Image.Create(path, new Qcow2CreateOptions { VirtualSize = Size });
        using Qcow2Image img = Qcow2Image.Open(path, writable: false);
        Assert.Equal(ErrorCode.OperationInvalid, Assert.Throws<StorageException>(() => img.Write(0, new byte[1])).Code);
        Assert.Throws<ArgumentOutOfRangeException>(() => img.Read(Size - 1, new byte[2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => img.Read(-1, new byte[1]));
    }

    internal static void AssertContent(Qcow2Image img, byte[] model)
    {
        var actual = new byte[model.Length];
        img.Read(0, actual);
        int same = model.AsSpan().CommonPrefixLength(actual);
        Assert.True(same == model.Length, $"first difference at guest offset {same}");
    }
}
