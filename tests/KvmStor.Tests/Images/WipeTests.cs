using KvmStor.Host;
using KvmStor.Images;
using KvmStor.Model;

namespace KvmStor.Tests.Images;

public class WipeTests
{
    [Theory]
    [InlineData(WipeAlgorithm.Zero, 1)]
    [InlineData(WipeAlgorithm.Nnsa, 3)]
    [InlineData(WipeAlgorithm.Dod, 3)]
    [InlineData(WipeAlgorithm.Bsi, 9)]
    [InlineData(WipeAlgorithm.Gutmann, 35)]
    [InlineData(WipeAlgorithm.Schneier, 7)]
    [InlineData(WipeAlgorithm.Pfitzner7, 7)]
    [InlineData(WipeAlgorithm.Pfitzner33, 33)]
    [InlineData(WipeAlgorithm.Random, 1)]
    public void PassCountsFollowScrub(WipeAlgorithm algorithm, int passes)
        => Assert.Equal(passes, WipePasses.For(algorithm).Count);

    [Fact]
    public void PassSequencesFollowScrub()
    {
        string Show(WipeAlgorithm a) => string.Join(",", WipePasses.For(a).Select(p =>
            (p.IsRandom ? "R" : Convert.ToHexString(p.Pattern!)) + (p.Verify ? "+v" : "")));
        Assert.Equal("R,R,00+v", Show(WipeAlgorithm.Nnsa));
        Assert.Equal("R,00,FF+v", Show(WipeAlgorithm.Dod));
        Assert.Equal("FF,FE,FD,FB,F7,EF,DF,BF,7F", Show(WipeAlgorithm.Bsi));
        Assert.Equal("00,FF,R,R,R,R,R", Show(WipeAlgorithm.Schneier));
        Assert.Equal("R,R,R,R,55,AA,924924,492492,249249,00,11,22,33,44,55,66,77,88,99,AA,BB,CC,DD,EE,FF,"
                   + "924924,492492,249249,6DB6DB,B6DB6D,DB6DB6,R,R,R,R", Show(WipeAlgorithm.Gutmann));
    }

    [Fact]
    public void NamesRoundTripLikeVirsh()
    {
        foreach (var a in Enum.GetValues<WipeAlgorithm>())
        {
            Assert.True(WipeAlgorithmNames.TryParse(a.ToName(), out var back));
            Assert.Equal(a, back);
        }
        Assert.False(WipeAlgorithmNames.TryParse("shred", out _));
        Assert.Equal("pfitzner33", WipeAlgorithm.Pfitzner33.ToName());
    }

    private static string DenseFile(ImagesTempDirectory dir, int size, byte fill = 0x5A)
    {
        string path = dir.File("vol.img");
        File.WriteAllBytes(path, Enumerable.Repeat(fill, size).ToArray());
        return path;
    }

    [Theory]
    [InlineData(WipeAlgorithm.Nnsa, (byte)0x00)]
    [InlineData(WipeAlgorithm.Dod, (byte)0xFF)]
    [InlineData(WipeAlgorithm.Bsi, (byte)0x7F)]
    [InlineData(WipeAlgorithm.Zero, (byte)0x00)]
    public void LastPassPatternIsOnDisk(WipeAlgorithm algorithm, byte last)
    {
        using var dir = new ImagesTempDirectory();
        string path = DenseFile(dir, 5 << 20 | 123);
        VolumeWiper.Wipe(path, algorithm);
        byte[] data = File.ReadAllBytes(path);
        Assert.Equal((5 << 20) | 123, data.Length);
        Assert.False(data.AsSpan().ContainsAnyExcept(last));
    }

    [Fact]
    public void RandomWipeReplacesTheDataAndDiffersEachTime()
    {
        using var dir = new ImagesTempDirectory();
        string path = DenseFile(dir, 1 << 20);
        VolumeWiper.Wipe(path, WipeAlgorithm.Random);
        byte[] first = File.ReadAllBytes(path);
        VolumeWiper.Wipe(path, WipeAlgorithm.Random);
        byte[] second = File.ReadAllBytes(path);
        Assert.Equal(1 << 20, first.Length);
        Assert.False(first.AsSpan().SequenceEqual(second));
        // Random data: every byte value shows up in a MiB, and the old fill is not left behind in bulk.
        Assert.Equal(256, first.Distinct().Count());
        Assert.True(first.Count(b => b == 0x5A) < 8192);
    }

    [Fact]
    public void GutmannEndsWithRandomAfterThreeBytePatterns()
    {
        using var dir = new ImagesTempDirectory();
        string path = DenseFile(dir, 64 << 10);
        VolumeWiper.Wipe(path, WipeAlgorithm.Gutmann);
        byte[] data = File.ReadAllBytes(path);
        Assert.True(data.Distinct().Count() > 200);
    }

    [Fact]
    public void ThreeBytePatternsKeepTheirPhaseAcrossBufferChunks()
    {
        var buffer = new byte[(3 << 20)];
        VolumeWiper.FillPattern(buffer, [0x92, 0x49, 0x24]);
        // The buffer is a whole number of periods, so the next chunk starts where this one would continue.
        Assert.Equal(0, buffer.Length % 3);
        Assert.Equal([0x92, 0x49, 0x24], buffer[^3..]);
    }

    [Fact]
    public void ZeroOnSparseFileTruncatesAndLeavesNoAllocation()
    {
        using var dir = new ImagesTempDirectory();
        string path = dir.File("sparse.img");
        using (var fs = new FileStream(path, FileMode.CreateNew))
        {
            fs.SetLength(64 << 20);
            fs.Position = 8 << 20;
            fs.Write(Enumerable.Repeat((byte)0xAB, 1 << 20).ToArray());
        }
        Assert.True(FileSystem.Stat(path).Blocks512 > 0);
        long? last = null;
        VolumeWiper.Wipe(path, WipeAlgorithm.Zero, progress: (done, total) => last = done);
        var st = FileSystem.Stat(path);
        Assert.Equal(0UL, st.Blocks512);
        Assert.Equal(64UL << 20, st.Size);
        Assert.Equal(64L << 20, last);
    }

    [Fact]
    public void ZeroOnDenseFileWritesZerosAndKeepsAllocation()
    {
        using var dir = new ImagesTempDirectory();
        string path = DenseFile(dir, 4 << 20);
        ulong before = FileSystem.Stat(path).Blocks512;
        VolumeWiper.Wipe(path, WipeAlgorithm.Zero);
        Assert.False(File.ReadAllBytes(path).AsSpan().ContainsAnyExcept((byte)0));
        Assert.Equal(before, FileSystem.Stat(path).Blocks512);
    }

    [Fact]
    public void WipeLengthBeyondTheFileGrowsItLikeLibvirtsAllocationWipe()
    {
        using var dir = new ImagesTempDirectory();
        string path = DenseFile(dir, 196616);
        VolumeWiper.Wipe(path, WipeAlgorithm.Zero, length: 200704);
        Assert.Equal(200704UL, FileSystem.Stat(path).Size);
    }

    [Fact]
    public void TrimIsRefusedWithLibvirtsText()
    {
        using var dir = new ImagesTempDirectory();
        string path = DenseFile(dir, 4096);
        var e = Assert.Throws<StorageException>(() => VolumeWiper.Wipe(path, WipeAlgorithm.Trim));
        Assert.Equal("argument unsupported: 'trim' algorithm not supported", e.Display);
    }

    [Fact]
    public void ProgressCountsEveryPassAndCancellationStops()
    {
        using var dir = new ImagesTempDirectory();
        string path = DenseFile(dir, 7 << 20);
        var seen = new List<(long, long)>();
        VolumeWiper.Wipe(path, WipeAlgorithm.Dod, progress: (d, t) => seen.Add((d, t)));
        Assert.Equal((3L * (7 << 20), 3L * (7 << 20)), seen[^1]);
        Assert.True(seen.Zip(seen.Skip(1)).All(p => p.First.Item1 < p.Second.Item1));

        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => VolumeWiper.Wipe(path, WipeAlgorithm.Bsi, cancel: cts.Token));
    }
}
