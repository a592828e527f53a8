using KvmStor.Host;
using KvmStor.Images;
using KvmStor.Model;
using static KvmStor.IntegrationTests.ImagesTestSupport;

namespace KvmStor.IntegrationTests;

/// <summary>Wipe, probe and copy on a real block device: a loop device over a 16 MiB file, detached by its name.</summary>
public sealed class ImagesBlockDeviceTests : IDisposable
{
    private const int MiB = 1 << 20;
    private readonly ImagesScratch _scratch = new();
    private readonly string _backingFile;
    private readonly string _device;

    public ImagesBlockDeviceTests()
    {
        _backingFile = _scratch.File("disk.img");
        byte[] content = new byte[16 * MiB];
        Random.Shared.NextBytes(content.AsSpan(0, 2 * MiB));
        File.WriteAllBytes(_backingFile, content);
        _device = Run("losetup", "--find", "--show", _backingFile).Trim();
    }

    public void Dispose()
    {
        Run("losetup", "-d", _device);
        _scratch.Dispose();
    }

    private byte[] ReadDevice()
    {
        using var h = File.OpenHandle(_device);
        byte[] data = new byte[16 * MiB];
        int total = 0;
        while (total < data.Length) total += RandomAccess.Read(h, data.AsSpan(total), total);
        return data;
    }

    [Fact]
    public void ZeroWipeOfADeviceLeavesOnlyZeros()
    {
        long last = 0;
        VolumeWiper.Wipe(_device, WipeAlgorithm.Zero, progress: (d, _) => last = d);
        Assert.False(ReadDevice().AsSpan().ContainsAnyExcept((byte)0));
        Assert.Equal(16L * MiB, last);
    }

    [Fact]
    public void BsiWipeOfADeviceEndsWith7F()
    {
        VolumeWiper.Wipe(_device, WipeAlgorithm.Bsi);
        Assert.False(ReadDevice().AsSpan().ContainsAnyExcept((byte)0x7F));
    }

    [Fact]
    public void BlockDeviceProbesAsBlockVolumeSizedByTheDevice()
    {
        var p = VolumeFileProbe.TryProbe(_device)!;
        Assert.Equal((VolumeType.Block, "raw", 16UL * MiB, 16UL * MiB, 16UL * MiB), (p.Type, p.Format, p.Capacity, p.Allocation, p.Physical!.Value));
    }

    [Fact]
    public void CopyFromADeviceSkippingZerosMakesASparseFile()
    {
        string copy = _scratch.File("copy.img");
        using (var src = File.OpenHandle(_device))
        using (var dst = File.OpenHandle(copy, FileMode.CreateNew, FileAccess.ReadWrite))
            SparseCopy.CopyRange(src, 0, dst, 0, 16 * MiB, new SparseCopyOptions { SkipZeroBlocks = true });
        byte[] copied = File.ReadAllBytes(copy), device = ReadDevice();
        int firstDifference = copied.AsSpan().CommonPrefixLength(device);
        Assert.True(firstDifference == device.Length, $"copy differs from offset {firstDifference}, length {copied.Length}");
        Assert.True(FileSystem.Stat(copy).AllocatedBytes <= 2UL * MiB + 64 * 1024);
    }
}
