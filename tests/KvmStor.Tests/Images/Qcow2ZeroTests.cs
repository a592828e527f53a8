using KvmStor.Images.Qcow2;

namespace KvmStor.Tests.Images;

public sealed class Qcow2ZeroTests
{
    [Fact]
    public void WriteZeroes_WithoutBacking_UnallocatesWholeClusters_AndZeroesPartialOnes()
    {
        using var dir = new Qcow2TestDir();
        string path = dir.File("z.qcow2");
        Qcow2Image.Create(path, new Qcow2CreateOptions { VirtualSize = 1024 * 1024, ClusterSize = 4096 });
        using Qcow2Image img = Qcow2Image.Open(path, writable: true);
        var data = new byte[1024 * 1024];
        new Random(3).NextBytes(data);
        img.Write(0, data);
        img.WriteZeroes(4096 + 100, 3 * 4096); // partial, two whole, partial
        Array.Clear(data, 4096 + 100, 3 * 4096);
        Qcow2ReadWriteTests.AssertContent(img, data);
        Assert.Contains(new Qcow2Extent(8192, 8192, Qcow2ExtentKind.Unallocated), img.GetExtents());

        img.WriteZeroes(512 * 1024, 512 * 1024);
        img.Resize(512 * 1024, allowShrink: true); // nothing stored past the new end any more
        Assert.Equal(512 * 1024, img.VirtualSize);
    }

    [Fact]
    public void WriteZeroes_OverBacking_MarksZeroClusters()
    {
        using var dir = new Qcow2TestDir();
        var backing = new byte[256 * 1024];
        new Random(4).NextBytes(backing);
        File.WriteAllBytes(dir.File("base.raw"), backing);
        string path = dir.File("z.qcow2");
        Qcow2Image.Create(path, new Qcow2CreateOptions { VirtualSize = backing.Length, ClusterSize = 65536, BackingFile = "base.raw", BackingFormat = "raw" });
        using Qcow2Image img = Qcow2Image.Open(path, writable: true);
        img.WriteZeroes(65536, 65536);
        Array.Clear(backing, 65536, 65536);
        Qcow2ReadWriteTests.AssertContent(img, backing);
        Assert.Equal(
            [new Qcow2Extent(0, 65536, Qcow2ExtentKind.Unallocated), new Qcow2Extent(65536, 65536, Qcow2ExtentKind.Zero),
             new Qcow2Extent(131072, 131072, Qcow2ExtentKind.Unallocated)],
            img.GetExtents().ToList());
    }
}
