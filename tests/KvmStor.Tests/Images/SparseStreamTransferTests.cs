using KvmStor.Host;
using KvmStor.Images;

namespace KvmStor.Tests.Images;

public class SparseStreamTransferTests
{
    private const int MiB = 1 << 20;

    /// <summary>8 MiB: 1 MiB random, 6 MiB zeros, 1 MiB random.</summary>
    private static byte[] Payload()
    {
        byte[] b = new byte[8 * MiB];
        var rnd = new Random(7);
        rnd.NextBytes(b.AsSpan(0, MiB));
        rnd.NextBytes(b.AsSpan(7 * MiB));
        return b;
    }

    private static long Upload(string target, byte[] payload, bool sparse, long offset = 0, long? length = null)
    {
        using var h = File.OpenHandle(target, FileMode.OpenOrCreate, FileAccess.ReadWrite);
        return SparseStreamTransfer.Upload(new MemoryStream(payload), h, offset, length, sparse, bufferSize: MiB);
    }

    [Fact]
    public void SparseUploadLeavesHolesForZeroRuns()
    {
        using var dir = new ImagesTempDirectory();
        string sparse = dir.File("s.img"), dense = dir.File("d.img");
        byte[] payload = Payload();
        Assert.Equal(payload.Length, Upload(sparse, payload, sparse: true));
        Upload(dense, payload, sparse: false);
        Assert.True(File.ReadAllBytes(sparse).AsSpan().SequenceEqual(payload));
        Assert.True(File.ReadAllBytes(dense).AsSpan().SequenceEqual(payload));
        Assert.True(FileSystem.Stat(sparse).AllocatedBytes <= 2UL * MiB + 64 * 1024);
        Assert.True(FileSystem.Stat(dense).AllocatedBytes >= 8UL * MiB);
    }

    [Fact]
    public void SparseUploadOverOldDataStillReadsZeros()
    {
        using var dir = new ImagesTempDirectory();
        string target = dir.File("v.img");
        File.WriteAllBytes(target, Enumerable.Repeat((byte)0x77, 8 * MiB).ToArray());
        Upload(target, Payload(), sparse: true);
        Assert.True(File.ReadAllBytes(target).AsSpan().SequenceEqual(Payload()));
    }

    [Fact]
    public void UploadAtAnOffsetAndTrailingZerosStillSizeTheFile()
    {
        using var dir = new ImagesTempDirectory();
        string target = dir.File("v.img");
        File.WriteAllBytes(target, []);
        byte[] payload = new byte[3 * MiB];
        payload[0] = 1;
        Upload(target, payload, sparse: true, offset: MiB);
        byte[] back = File.ReadAllBytes(target);
        Assert.Equal(4 * MiB, back.Length);
        Assert.Equal(1, back[MiB]);
    }

    [Fact]
    public void UploadLongerThanLengthFailsLikeLibvirt()
    {
        using var dir = new ImagesTempDirectory();
        string target = dir.File("v.img");
        var e = Assert.Throws<StorageException>(() => Upload(target, Payload(), sparse: false, length: 3 * MiB));
        Assert.Equal("cannot write to stream: No space left on device", e.Display);
        Assert.Equal(3L * MiB, new FileInfo(target).Length);
    }

    [Fact]
    public void SparseDownloadWritesHolesAndSameBytes()
    {
        using var dir = new ImagesTempDirectory();
        string volume = dir.File("vol.img"), outFile = dir.File("out.img");
        Upload(volume, Payload(), sparse: false);
        long last = 0;
        using (var src = File.OpenHandle(volume))
        using (var dst = new FileStream(outFile, FileMode.Create))
            SparseStreamTransfer.Download(src, 0, 8 * MiB, dst, sparse: true, progress: (d, _) => last = d, bufferSize: MiB);
        Assert.True(File.ReadAllBytes(outFile).AsSpan().SequenceEqual(Payload()));
        Assert.True(FileSystem.Stat(outFile).AllocatedBytes <= 2UL * MiB + 64 * 1024);
        Assert.Equal(8L * MiB, last);
    }

    [Fact]
    public void DenseDownloadToANonSeekableStream()
    {
        using var dir = new ImagesTempDirectory();
        string volume = dir.File("vol.img");
        Upload(volume, Payload(), sparse: false);
        var sink = new MemoryStream();
        using (var src = File.OpenHandle(volume))
            SparseStreamTransfer.Download(src, MiB / 2, 7 * MiB, sink, sparse: false);
        Assert.True(sink.ToArray().AsSpan().SequenceEqual(Payload().AsSpan(MiB / 2, 7 * MiB)));
    }

    [Fact]
    public void ZeroRunsInsideOneBufferStillBecomeHoles()
    {
        using var dir = new ImagesTempDirectory();
        string target = dir.File("v.img");
        byte[] payload = new byte[4 * MiB];
        new Random(3).NextBytes(payload.AsSpan(0, 256 << 10));
        using (var h = File.OpenHandle(target, FileMode.CreateNew, FileAccess.ReadWrite))
            SparseStreamTransfer.Upload(new MemoryStream(payload), h, 0, null, sparse: true); // one 4 MiB buffer
        Assert.True(File.ReadAllBytes(target).AsSpan().SequenceEqual(payload));
        Assert.True(FileSystem.Stat(target).AllocatedBytes <= (320UL << 10), $"{FileSystem.Stat(target).AllocatedBytes} allocated");
    }
}
