using KvmStor.Host;
using KvmStor.Images;

namespace KvmStor.Tests.Images;

public class SparseCopyTests
{
    private const int MiB = 1 << 20;

    /// <summary>A 32 MiB file: data at 0–2 MiB, a hole, 4 MiB of data at 12 MiB (half of it zeros), a trailing hole.</summary>
    private static string HalfHoleFile(ImagesTempDirectory dir, string name = "src.img")
    {
        string path = dir.File(name);
        using var fs = new FileStream(path, FileMode.CreateNew);
        fs.SetLength(32 * MiB);
        var rnd = new Random(42);
        byte[] data = new byte[2 * MiB];
        rnd.NextBytes(data);
        fs.Write(data);
        fs.Position = 12 * MiB;
        rnd.NextBytes(data);
        fs.Write(data);
        fs.Write(new byte[2 * MiB]); // written zeros: allocated, but all zero
        return path;
    }

    private static void AssertSameBytes(string a, string b) => Assert.True(File.ReadAllBytes(a).AsSpan().SequenceEqual(File.ReadAllBytes(b)));

    [Fact]
    public void HolesAreKeptAndBytesIdentical()
    {
        using var dir = new ImagesTempDirectory();
        string src = HalfHoleFile(dir), dst = dir.File("dst.img");
        SparseCopy.CopyFile(src, dst);
        AssertSameBytes(src, dst);
        var s = FileSystem.Stat(src);
        var d = FileSystem.Stat(dst);
        Assert.Equal(s.Size, d.Size);
        Assert.True(d.Blocks512 <= s.Blocks512, $"copy allocates {d.Blocks512} blocks, source {s.Blocks512}");
        Assert.True(d.AllocatedBytes <= 7UL * MiB, $"holes were filled: {d.AllocatedBytes} bytes allocated");
    }

    [Fact]
    public void SkipZeroBlocksTurnsWrittenZerosIntoHoles()
    {
        using var dir = new ImagesTempDirectory();
        string src = HalfHoleFile(dir), dst = dir.File("dst.img");
        SparseCopy.CopyFile(src, dst, new SparseCopyOptions { SkipZeroBlocks = true, BufferSize = MiB });
        AssertSameBytes(src, dst);
        Assert.True(FileSystem.Stat(dst).AllocatedBytes <= 4UL * MiB + 64 * 1024);
        Assert.True(FileSystem.Stat(src).AllocatedBytes >= 6UL * MiB);
    }

    [Fact]
    public void CopyIntoAnExistingVolumePunchesOutStaleData()
    {
        using var dir = new ImagesTempDirectory();
        string src = HalfHoleFile(dir), dst = dir.File("old.img");
        File.WriteAllBytes(dst, Enumerable.Repeat((byte)0xEE, 32 * MiB).ToArray());
        using (var s = File.OpenHandle(src))
        using (var d = File.OpenHandle(dst, FileMode.Open, FileAccess.ReadWrite))
            SparseCopy.CopyRange(s, 0, d, 0, 32 * MiB, new SparseCopyOptions { TargetIsZeroed = false, SkipZeroBlocks = true });
        AssertSameBytes(src, dst);
        Assert.True(FileSystem.Stat(dst).AllocatedBytes < 8UL * MiB);
    }

    [Fact]
    public void RangeCopyAtOffsetsExtendsTheTarget()
    {
        using var dir = new ImagesTempDirectory();
        string src = HalfHoleFile(dir), dst = dir.File("dst.img");
        File.WriteAllBytes(dst, []);
        using (var s = File.OpenHandle(src))
        using (var d = File.OpenHandle(dst, FileMode.Open, FileAccess.ReadWrite))
            SparseCopy.CopyRange(s, 12 * MiB, d, 1 * MiB, 8 * MiB);
        byte[] source = File.ReadAllBytes(src), target = File.ReadAllBytes(dst);
        Assert.Equal(9 * MiB, target.Length);
        Assert.False(target.AsSpan(0, MiB).ContainsAnyExcept((byte)0));
        Assert.True(target.AsSpan(MiB).SequenceEqual(source.AsSpan(12 * MiB, 8 * MiB)));
    }

    [Fact]
    public void ProgressReachesTheTotalIncludingHoles()
    {
        using var dir = new ImagesTempDirectory();
        string src = HalfHoleFile(dir), dst = dir.File("dst.img");
        long lastDone = 0, lastTotal = 0;
        SparseCopy.CopyFile(src, dst, new SparseCopyOptions { Progress = (d, t) => (lastDone, lastTotal) = (d, t) });
        Assert.Equal((32L * MiB, 32L * MiB), (lastDone, lastTotal));
    }

    [Fact]
    public void CancellationStopsTheCopy()
    {
        using var dir = new ImagesTempDirectory();
        string src = HalfHoleFile(dir), dst = dir.File("dst.img");
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => SparseCopy.CopyFile(src, dst, cancel: cts.Token));
    }

    [Theory]
    [InlineData(null)]          // the default temp dir: ext4 on this machine
    [InlineData("/dev/shm")]    // tmpfs
    public void ForcedReflinkFailsClearlyWhereUnsupported(string? parent)
    {
        if (parent is not null && !Directory.Exists(parent)) parent = null;
        using var dir = new ImagesTempDirectory(parent);
        string src = HalfHoleFile(dir), dst = dir.File("clone.img");
        var e = Assert.Throws<StorageException>(() => SparseCopy.CopyFile(src, dst, new SparseCopyOptions { Reflink = ReflinkMode.Always }));
        Assert.Equal($"failed to clone files from '{src}': Operation not supported", e.Display);
    }

    [Fact]
    public void AutoReflinkFallsBackToACopy()
    {
        using var dir = new ImagesTempDirectory();
        string src = HalfHoleFile(dir), dst = dir.File("clone.img");
        SparseCopy.CopyFile(src, dst, new SparseCopyOptions { Reflink = ReflinkMode.Auto });
        AssertSameBytes(src, dst);
    }
}
