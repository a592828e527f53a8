using KvmStor.Host;
using KvmStor.Images;
using static KvmStor.IntegrationTests.ImagesTestSupport;

namespace KvmStor.IntegrationTests;

/// <summary>
/// A 512 MiB xfs (reflink=1) on a loop device over a sparse file, mounted in a scratch directory and torn
/// down by exactly the loop device and mount point this fixture created.
/// </summary>
public sealed class ImagesXfsLoop : IDisposable
{
    private readonly ImagesScratch _scratch = new();
    private readonly string? _loopDevice;
    private readonly bool _mounted;

    public string MountPoint { get; }

    public ImagesXfsLoop()
    {
        string image = _scratch.File("xfs.img");
        MountPoint = _scratch.File("mnt");
        try
        {
            Directory.CreateDirectory(MountPoint);
            using (var h = File.OpenHandle(image, FileMode.CreateNew, FileAccess.ReadWrite))
                FileSystem.Truncate(h, 512L << 20);
            Run("mkfs.xfs", "-q", "-m", "reflink=1", image);
            _loopDevice = Run("losetup", "--find", "--show", image).Trim();
            Run("mount", _loopDevice, MountPoint);
            _mounted = true;
        }
        catch
        {
            // xunit never disposes a fixture whose constructor threw: release the loop device here.
            Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        // Each step on its own, so a failing umount still detaches the loop device and removes the files.
        try { if (_mounted) Run("umount", MountPoint); }
        finally
        {
            try { if (_loopDevice is { Length: > 0 }) Run("losetup", "-d", _loopDevice); }
            finally { _scratch.Dispose(); }
        }
    }
}

public class ImagesXfsReflinkTests(ImagesXfsLoop xfs) : IClassFixture<ImagesXfsLoop>
{
    private const int MiB = 1 << 20;

    private string HalfHoleSource(string name)
    {
        string path = Path.Combine(xfs.MountPoint, name);
        using var fs = new FileStream(path, FileMode.CreateNew);
        fs.SetLength(128 * MiB);
        byte[] block = new byte[8 * MiB];
        Random.Shared.NextBytes(block);
        for (long at = 0; at < 128 * MiB; at += 16 * MiB) { fs.Position = at; fs.Write(block); }
        fs.Flush(true);
        return path;
    }

    private static bool SameBytes(string a, string b) => File.ReadAllBytes(a).AsSpan().SequenceEqual(File.ReadAllBytes(b));

    [Fact]
    public void ForcedReflinkSharesExtentsOnXfs()
    {
        string src = HalfHoleSource("src-reflink.img"), dst = Path.Combine(xfs.MountPoint, "clone.img");
        ulong freeBefore = FileSystem.StatVfs(xfs.MountPoint).FreeBytes;
        SparseCopy.CopyFile(src, dst, new SparseCopyOptions { Reflink = ReflinkMode.Always });
        ulong freeAfter = FileSystem.StatVfs(xfs.MountPoint).FreeBytes;

        Assert.True(SameBytes(src, dst));
        Assert.Equal(FileSystem.Stat(src).Size, FileSystem.Stat(dst).Size);
        // 64 MiB of data cloned: the free space barely moves (metadata only).
        Assert.True(freeBefore - freeAfter < 8UL * MiB, $"clone consumed {(freeBefore - freeAfter) / MiB} MiB");
        Assert.Equal(FileSystem.Stat(src).Blocks512, FileSystem.Stat(dst).Blocks512);
    }

    [Fact]
    public void ByteCopyOnXfsKeepsHoles()
    {
        string src = HalfHoleSource("src-copy.img"), dst = Path.Combine(xfs.MountPoint, "copy.img");
        SparseCopy.CopyFile(src, dst, new SparseCopyOptions { Reflink = ReflinkMode.Never, SkipZeroBlocks = true });
        Assert.True(SameBytes(src, dst));
        Assert.True(FileSystem.Stat(dst).AllocatedBytes <= 66UL * MiB, $"{FileSystem.Stat(dst).AllocatedBytes} allocated");
    }

    [Fact]
    public void SparseUploadAndDownloadOnXfsKeepHoles()
    {
        string src = HalfHoleSource("src-up.img"), volume = Path.Combine(xfs.MountPoint, "up.img"), back = Path.Combine(xfs.MountPoint, "down.img");
        using (var input = File.OpenRead(src))
        using (var target = File.OpenHandle(volume, FileMode.Create, FileAccess.ReadWrite))
            SparseStreamTransfer.Upload(input, target, 0, null, sparse: true);
        using (var source = File.OpenHandle(volume))
        using (var output = new FileStream(back, FileMode.Create))
            SparseStreamTransfer.Download(source, 0, 128 * MiB, output, sparse: true);
        Assert.True(SameBytes(src, volume));
        Assert.True(SameBytes(src, back));
        Assert.True(FileSystem.Stat(volume).AllocatedBytes <= 66UL * MiB, $"upload: {FileSystem.Stat(volume).AllocatedBytes} allocated");
        Assert.True(FileSystem.Stat(back).AllocatedBytes <= 66UL * MiB, $"download: {FileSystem.Stat(back).AllocatedBytes} allocated");
    }
}
