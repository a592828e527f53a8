using System.Text.Json;
using KvmStor.Images.Qcow2;
using static KvmStor.IntegrationTests.Qcow2LifecycleTests;

namespace KvmStor.IntegrationTests;

/// <summary>kvmstor resizes and wipes images that qemu-img made, and handles extreme sizes; qemu-img check judges.</summary>
public sealed class Qcow2QemuMadeChangesTests
{
    [Theory]
    [InlineData("compat=1.1")]
    [InlineData("compat=0.10")]
    [InlineData("lazy_refcounts=on,extended_l2=on")]
    [InlineData("cluster_size=4096,refcount_bits=2")]
    [InlineData("preallocation=metadata")]
    [InlineData("preallocation=full,cluster_size=2M")]
    public void QemuMadeImage_GrowsShrinksAndWipes(string createOptions)
    {
        using var dir = new Qcow2ScratchDir();
        string image = dir.File("q.qcow2");
        Qcow2QemuTools.RunOk("qemu-img", "create", "-q", "-f", "qcow2", "-o", createOptions, image, "4M");
        Qcow2QemuTools.QemuIo(image, "qcow2", "write -P 0x3c 1M 100k");
        JsonElement before = Qcow2QemuTools.Info(image);
        var expected = new byte[4 * 1024 * 1024];
        expected.AsSpan(1024 * 1024, 100 * 1024).Fill(0x3c);

        using (Qcow2Image img = Qcow2Image.Open(image, writable: true))
            img.Resize(6L << 40, allowShrink: false); // 6 TiB: the L1 table outgrows its cluster and moves
        Qcow2QemuTools.Check(image);
        Assert.Equal(6L << 40, Qcow2QemuTools.Info(image).GetProperty("virtual-size").GetInt64());

        using (Qcow2Image img = Qcow2Image.Open(image, writable: true))
        {
            img.Write((5L << 40) + 3, new byte[] { 1, 2, 3 });
            var back = new byte[3];
            img.Read((5L << 40) + 3, back);
            Assert.Equal(new byte[] { 1, 2, 3 }, back);
            Assert.Throws<StorageException>(() => img.Resize(4 * 1024 * 1024, allowShrink: true));
        }
        Qcow2QemuTools.Check(image);
        Qcow2QemuTools.RunOk("qemu-io", "-f", "qcow2", "-c", "write -z " + (5L << 40) + " 2M", image); // qemu turns our cluster into a zero cluster
        Qcow2QemuTools.Check(image);

        bool preallocated = createOptions.Contains("preallocation");
        using (Qcow2Image img = Qcow2Image.Open(image, writable: true))
            img.Resize(4 * 1024 * 1024, allowShrink: true);
        Qcow2QemuTools.Check(image);
        JsonElement after = Qcow2QemuTools.Info(image);
        Assert.Equal(4 * 1024 * 1024, after.GetProperty("virtual-size").GetInt64());
        AssertSameBytes(expected, Qcow2QemuTools.ReadAllViaQemu(image, dir.Path), $"after resize ({(preallocated ? "preallocated" : "sparse")})");

        Qcow2Image.WipeToEmpty(image);
        Qcow2QemuTools.Check(image);
        JsonElement wiped = Qcow2QemuTools.Info(image);
        foreach (string field in new[] { "virtual-size", "cluster-size" })
            Assert.Equal(before.GetProperty(field).GetInt64(), wiped.GetProperty(field).GetInt64());
        JsonElement was = before.GetProperty("format-specific").GetProperty("data"), now = wiped.GetProperty("format-specific").GetProperty("data");
        Assert.Equal(was.GetProperty("compat").GetString(), now.GetProperty("compat").GetString());
        if (was.TryGetProperty("lazy-refcounts", out JsonElement lazy))
        {
            Assert.Equal(lazy.GetBoolean(), now.GetProperty("lazy-refcounts").GetBoolean());
            Assert.Equal(was.GetProperty("extended-l2").GetBoolean(), now.GetProperty("extended-l2").GetBoolean());
        }
        AssertSameBytes(new byte[4 * 1024 * 1024], Qcow2QemuTools.ReadAllViaQemu(image, dir.Path), "after wipe");
    }

    [Fact]
    public void ImageWithPersistentBitmap_IsReadButNotChanged()
    {
        using var dir = new Qcow2ScratchDir();
        string image = dir.File("bm.qcow2");
        Qcow2QemuTools.RunOk("qemu-img", "create", "-q", "-f", "qcow2", image, "4M");
        Qcow2QemuTools.RunOk("qemu-img", "bitmap", "--add", image, "bm0");
        Qcow2QemuTools.QemuIo(image, "qcow2", "write -P 0x21 0 64k");
        var e = Assert.Throws<StorageException>(() => Qcow2Image.Open(image, writable: true));
        Assert.Contains("persistent dirty bitmaps", e.Message);
        Qcow2QemuTools.Check(image);
        AssertOurReadEquals(image, Qcow2QemuTools.ReadAllViaQemu(image, dir.Path));
    }

    [Fact]
    public void EmptyAndHugeImages_AreConsistent()
    {
        using var dir = new Qcow2ScratchDir();
        string empty = dir.File("empty.qcow2"), huge = dir.File("huge.qcow2");
        Qcow2Image.Create(empty, new Qcow2CreateOptions { VirtualSize = 0 });
        Qcow2QemuTools.Check(empty);
        Assert.Equal(0, Qcow2QemuTools.Info(empty).GetProperty("virtual-size").GetInt64());
        using (Qcow2Image img = Qcow2Image.Open(empty, writable: true))
        {
            img.Resize(1024 * 1024, allowShrink: false);
            img.Write(4096, new byte[] { 42 });
        }
        Qcow2QemuTools.Check(empty);

        // Metadata preallocation of 8 TiB: a sparse host file just under ext4's 16 TiB limit.
        Qcow2Image.Create(huge, new Qcow2CreateOptions { VirtualSize = 8L << 40, ClusterSize = 2 * 1024 * 1024, Preallocation = Qcow2Preallocation.Metadata });
        Qcow2QemuTools.Check(huge);
        Assert.Equal(8L << 40, Qcow2QemuTools.Info(huge).GetProperty("virtual-size").GetInt64());
        using (Qcow2Image img = Qcow2Image.Open(huge, writable: true)) img.Write((7L << 40) + 1, new byte[] { 7 });
        Qcow2QemuTools.Check(huge);
        var read = Qcow2QemuTools.RunOk("qemu-io", "-f", "qcow2", "-c", "read -P 7 " + ((7L << 40) + 1) + " 1", huge);
        Assert.DoesNotContain("Pattern verification failed", read.Output);

        // 64 TiB without preallocation: a multi-cluster L1 table.
        string big = dir.File("big.qcow2");
        Qcow2Image.Create(big, new Qcow2CreateOptions { VirtualSize = 64L << 40 });
        using (Qcow2Image img = Qcow2Image.Open(big, writable: true)) img.Write((63L << 40) + 5, new byte[] { 9 });
        Qcow2QemuTools.Check(big);
        read = Qcow2QemuTools.RunOk("qemu-io", "-f", "qcow2", "-c", "read -P 9 " + ((63L << 40) + 5) + " 1", big);
        Assert.DoesNotContain("Pattern verification failed", read.Output);
    }
}
