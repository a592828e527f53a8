using System.Buffers.Binary;
using KvmStor.Images.Qcow2;

namespace KvmStor.Tests.Images;

public sealed class Qcow2CreateTests
{
    [Fact]
    public void DefaultImage_IsFourClusters_LikeQemu()
    {
        using var dir = new Qcow2TestDir();
        string path = dir.File("a.qcow2");
        Qcow2Image.Create(path, new Qcow2CreateOptions { VirtualSize = 1L << 30 });
        Assert.Equal(4 * 65536, new FileInfo(path).Length);
        byte[] head = File.ReadAllBytes(path);
        Assert.Equal(0x514649FBu, BinaryPrimitives.ReadUInt32BigEndian(head));
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(4)));
        Assert.Equal(0x10000ul, BinaryPrimitives.ReadUInt64BigEndian(head.AsSpan(48))); // refcount table
        Assert.Equal(0x30000ul, BinaryPrimitives.ReadUInt64BigEndian(head.AsSpan(40))); // L1 table
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(36)));        // l1_size for 1 GiB
        Assert.Equal(0x20000ul, BinaryPrimitives.ReadUInt64BigEndian(head.AsSpan(0x10000))); // first refcount block
        for (int cluster = 0; cluster < 4; cluster++)
            Assert.Equal(1, BinaryPrimitives.ReadUInt16BigEndian(head.AsSpan(0x20000 + cluster * 2)));
        Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(head.AsSpan(0x20000 + 8)));
    }

    [Fact]
    public void HeaderInfo_ReflectsEveryOption()
    {
        using var dir = new Qcow2TestDir();
        string path = dir.File("b.qcow2");
        Qcow2Image.Create(path, new Qcow2CreateOptions
        {
            VirtualSize = 1000, ClusterSize = 16384, LazyRefcounts = true, ExtendedL2 = true,
            BackingFile = "../base image.raw", BackingFormat = "raw",
        });
        Qcow2HeaderInfo info = Qcow2Image.ReadHeaderInfo(path);
        Assert.Equal(3, info.Version);
        Assert.Equal("1.1", info.Compat);
        Assert.Equal(1024, info.VirtualSize); // rounded up to 512 bytes, as qemu-img does
        Assert.Equal(14, info.ClusterBits);
        Assert.True(info.LazyRefcounts);
        Assert.True(info.ExtendedL2);
        Assert.False(info.Dirty);
        Assert.Equal("../base image.raw", info.BackingFile);
        Assert.Equal("raw", info.BackingFormat);
        Assert.Equal(16, info.RefcountBits);
        Assert.True(Qcow2Image.IsQcow2(path));
    }

    [Fact]
    public void Version2_HasNoFeatureFields()
    {
        using var dir = new Qcow2TestDir();
        string path = dir.File("v2.qcow2");
        Qcow2Image.Create(path, new Qcow2CreateOptions { VirtualSize = 1 << 20, Compat = "0.10", ClusterSize = 4096 });
        Qcow2HeaderInfo info = Qcow2Image.ReadHeaderInfo(path);
        Assert.Equal(2, info.Version);
        Assert.Equal("0.10", info.Compat);
        Assert.Equal(12, info.ClusterBits);
        Assert.False(info.LazyRefcounts);
    }

    [Theory]
    [InlineData(Qcow2Preallocation.Metadata)]
    [InlineData(Qcow2Preallocation.Falloc)]
    [InlineData(Qcow2Preallocation.Full)]
    public void Preallocation_MapsEveryCluster_AndReadsZeros(Qcow2Preallocation mode)
    {
        using var dir = new Qcow2TestDir();
        string path = dir.File("p.qcow2");
        const long size = 3 * 1024 * 1024 + 512;
        Qcow2Image.Create(path, new Qcow2CreateOptions { VirtualSize = size, ClusterSize = 4096, Preallocation = mode });
        Assert.True(new FileInfo(path).Length > size);
        using Qcow2Image img = Qcow2Image.Open(path, writable: false);
        Assert.Equal([new Qcow2Extent(0, size, Qcow2ExtentKind.Data)], img.GetExtents().ToList());
        var all = new byte[size];
        img.Read(0, all);
        Assert.True(all.AsSpan().IndexOfAnyExcept((byte)0) < 0);
    }

    [Fact]
    public void ExistingFile_IsNeitherOverwrittenNorRemoved()
    {
        using var dir = new Qcow2TestDir();
        string path = dir.File("taken");
        File.WriteAllText(path, "precious");
        var e = Assert.Throws<StorageException>(() => Qcow2Image.Create(path, new Qcow2CreateOptions { VirtualSize = 1 << 20 }));
        Assert.Contains("cannot create qcow2 image", e.Message);
        Assert.Equal("precious", File.ReadAllText(path));
    }

    [Fact]
    public void FailureWhileWriting_LeavesNothingBehind()
    {
        using var dir = new Qcow2TestDir();
        string path = dir.File("long-backing.qcow2");
        // Valid name length for qcow2, but it cannot fit into a 512-byte first cluster next to the header.
        var options = new Qcow2CreateOptions { VirtualSize = 1 << 20, ClusterSize = 512, BackingFile = new string('b', 600), BackingFormat = "raw" };
        var e = Assert.Throws<StorageException>(() => Qcow2Image.Create(path, options));
        Assert.Contains("does not fit", e.Message);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void FallocateFailure_LeavesNothingBehind()
    {
        using var dir = new Qcow2TestDir();
        string path = dir.File("huge.qcow2");
        var options = new Qcow2CreateOptions { VirtualSize = 100L << 40, ClusterSize = 2 * 1024 * 1024, Preallocation = Qcow2Preallocation.Falloc };
        Assert.Throws<StorageException>(() => Qcow2Image.Create(path, options));
        Assert.False(File.Exists(path));
    }

    [Theory]
    [InlineData(1000, "1.1", false, false, null, null, Qcow2Preallocation.Off, "Cluster size must be a power of two")]
    [InlineData(256, "1.1", false, false, null, null, Qcow2Preallocation.Off, "Cluster size must be a power of two")]
    [InlineData(4 * 1024 * 1024, "1.1", false, false, null, null, Qcow2Preallocation.Off, "Cluster size must be a power of two")]
    [InlineData(65536, "2.0", false, false, null, null, Qcow2Preallocation.Off, "Invalid compatibility level")]
    [InlineData(65536, "0.10", true, false, null, null, Qcow2Preallocation.Off, "Lazy refcounts only supported")]
    [InlineData(65536, "0.10", false, true, null, null, Qcow2Preallocation.Off, "Extended L2 entries are only supported with compatibility")]
    [InlineData(8192, "1.1", false, true, null, null, Qcow2Preallocation.Off, "at least 16384")]
    [InlineData(65536, "1.1", false, false, null, "raw", Qcow2Preallocation.Off, "Backing format cannot be used without backing file")]
    [InlineData(65536, "1.1", false, false, "base", "raw", Qcow2Preallocation.Metadata, "only be used at the same time if extended_l2 is on")]
    public void InvalidOptions_AreRefused_BeforeAnyFileExists(int clusterSize, string compat, bool lazy, bool extendedL2,
        string? backing, string? backingFormat, Qcow2Preallocation prealloc, string expected)
    {
        using var dir = new Qcow2TestDir();
        string path = dir.File("bad.qcow2");
        var options = new Qcow2CreateOptions
        {
            VirtualSize = 1 << 20, ClusterSize = clusterSize, Compat = compat, LazyRefcounts = lazy, ExtendedL2 = extendedL2,
            BackingFile = backing, BackingFormat = backingFormat, Preallocation = prealloc,
        };
        var e = Assert.Throws<StorageException>(() => Qcow2Image.Create(path, options));
        Assert.Contains(expected, e.Message);
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void EmptyDisk_HasNoL1Clusters_AndCanGrow()
    {
        using var dir = new Qcow2TestDir();
        string path = dir.File("zero.qcow2");
        Qcow2Image.Create(path, new Qcow2CreateOptions { VirtualSize = 0 });
        using (Qcow2Image img = Qcow2Image.Open(path, writable: true))
        {
            Assert.Empty(img.GetExtents());
            img.Resize(1 << 20, allowShrink: false);
            img.Write(12345, new byte[] { 9 });
        }
        using Qcow2Image again = Qcow2Image.Open(path, writable: false);
        var b = new byte[1];
        again.Read(12345, b);
        Assert.Equal(9, b[0]);
    }
}
