using System.Diagnostics;
using KvmStor.Images;
using Microsoft.Win32.SafeHandles;
using static KvmStor.Tests.Images.ImageHeaders;

namespace KvmStor.Tests.Images;

/// <summary>
/// Named cases of headers no writer produces, probed through real files: each still gives the format its magic says,
/// with the impossible field left out, and no read at the absurd place it names.
/// </summary>
public class FormatProbeHostileHeaderTests
{
    private static ImageProbe ProbeAsFile(byte[] bytes, string name = "image")
    {
        using var dir = new ImagesTempDirectory();
        string path = dir.File(name);
        File.WriteAllBytes(path, bytes);
        return FormatProbe.ProbeFile(path);
    }

    [Theory]
    [InlineData(long.MaxValue)]
    [InlineData((ulong)long.MaxValue + 1)]
    [InlineData(ulong.MaxValue)]
    [InlineData(ulong.MaxValue - 4)]    // offset + size wraps round to a small number
    [InlineData(1UL << 40)]             // beyond the file
    public void Qcow2BackingOffsetFarAwayIsNoBacking(ulong offset)
    {
        var b = Qcow2(3, 1 << 30, backing: "base.img", backingFormat: "raw");
        BE64(b, 8, offset);
        var p = ProbeAsFile(b);
        Assert.Equal(("qcow2", 1UL << 30, "1.1"), (p.Format, p.Capacity!.Value, p.Compat));
        Assert.Null(p.BackingPath);
        Assert.Null(p.BackingFormat);
    }

    [Theory]
    [InlineData(0xFFFF_FFFFu)]
    [InlineData(1024u)]                 // qemu's limit is 1023
    public void Qcow2BackingSizeTooLargeIsNoBacking(uint size)
    {
        var b = Qcow2(2, 1 << 30, backing: "base.img");
        BE32(b, 16, size);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var p = ProbeAsFile(b);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
        Assert.Equal("qcow2", p.Format);
        Assert.Null(p.BackingPath);
    }

    [Fact]
    public void Qcow2BackingNameOfExactly1023BytesBeyondTheHeaderIsRead()
    {
        string name = new('n', 1023);
        var b = new byte[FormatProbe.HeaderSize + 2048];
        Qcow2(2, 1 << 20).AsSpan(0, 72).CopyTo(b);
        BE64(b, 8, FormatProbe.HeaderSize + 8);
        BE32(b, 16, 1023);
        Text(b, FormatProbe.HeaderSize + 8, name);
        Assert.Equal(name, ProbeAsFile(b).BackingPath);
    }

    [Fact]
    public void Qcow2BackingNameCutShortByTheEndOfTheFileIsNoBacking()
    {
        var b = new byte[FormatProbe.HeaderSize + 4];
        Qcow2(2, 1 << 20).AsSpan(0, 72).CopyTo(b);
        BE64(b, 8, FormatProbe.HeaderSize);
        BE32(b, 16, 8);
        Text(b, FormatProbe.HeaderSize, "far.");
        Assert.Null(ProbeAsFile(b).BackingPath);
    }

    [Fact]
    public void BackingNameIsCutAtItsFirstNul()
    {
        var b = Qcow2(2, 1 << 20, backing: "base.img");
        BE32(b, 16, 16); // eight more bytes, all NUL after the name
        b[0x200 + 4] = 0;
        Assert.Equal("base", ProbeAsFile(b).BackingPath);
        b[0x200] = 0;
        Assert.Null(ProbeAsFile(b).BackingPath);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(8u)]
    [InlineData(31u)]
    [InlineData(63u)]
    [InlineData(0xFFFF_FFFFu)]
    public void Qcow2ImpossibleClusterBitsHaveNoClusterSize(uint bits)
    {
        var p = ProbeAsFile(Qcow2(3, 1 << 20, clusterBits: bits));
        Assert.Equal(("qcow2", 1UL << 20), (p.Format, p.Capacity!.Value));
        Assert.Null(p.ClusterSize);
    }

    [Theory]
    [InlineData(0xFFFF_FFFFu)]
    [InlineData(0x8000_0000u)]
    [InlineData(40_000u)]               // beyond the header buffer
    [InlineData(0u)]                    // shorter than the fixed header: not believed, extensions read from 104
    public void Qcow2HeaderLengthImpossibleKeepsTheBackingName(uint headerLength)
    {
        var b = Qcow2(3, 1 << 30, backing: "base.img", backingFormat: "raw");
        BE32(b, 100, headerLength);
        var p = ProbeAsFile(b);
        Assert.Equal(("qcow2", "base.img"), (p.Format, p.BackingPath));
    }

    [Fact]
    public void Qcow2ExtensionLengthHugeEndsTheWalk()
    {
        var b = Qcow2(3, 1 << 30, backing: "base.img", backingFormat: "raw");
        BE32(b, 116, 0xFFFF_FFF9); // the backing-format extension claims ~4 GiB
        var p = ProbeAsFile(b);
        Assert.Equal(("qcow2", "base.img"), (p.Format, p.BackingPath));
        Assert.Null(p.BackingFormat);
    }

    [Theory]
    [InlineData(ulong.MaxValue)]
    [InlineData((ulong)long.MaxValue + 1)]
    public void CapacityBeyondTwoToThe63IsUnknown(ulong size)
    {
        var p = ProbeAsFile(Qcow2(2, size));
        Assert.Equal("qcow2", p.Format);
        Assert.Null(p.Capacity);
    }

    [Fact]
    public void VmdkCapacityWhoseBytesOverflowIsUnknown()
    {
        var p = ProbeAsFile(VmdkSparse(sectors: ulong.MaxValue / 256));
        Assert.Equal("vmdk", p.Format);
        Assert.Null(p.Capacity);
    }

    [Theory]
    [InlineData(ulong.MaxValue)]
    [InlineData(1UL << 62)]
    public void VmdkDescriptorOffsetHugeIsNotFollowed(ulong sectors)
    {
        var b = VmdkSparse();
        LE64(b, 28, sectors);
        LE64(b, 36, ulong.MaxValue);
        var p = ProbeAsFile(b);
        Assert.Equal(("vmdk", 1UL << 30, "parent.vmdk"), (p.Format, p.Capacity!.Value, p.BackingPath));
    }

    [Theory]
    [InlineData(0x10_0000u)]            // beyond the 4 KiB file
    [InlineData(0xFFFF_FFFFu)]
    public void QedBackingOffsetBeyondTheFileIsNoBacking(uint offset)
    {
        var b = Qed();
        LE32(b, 56, offset);
        var p = ProbeAsFile(b);
        Assert.Equal(("qed", 3UL << 30), (p.Format, p.Capacity!.Value));
        Assert.Null(p.BackingPath);
        Assert.Null(p.BackingFormat);
    }

    [Fact]
    public void QedBackingSizeHugeIsNoBacking()
    {
        var b = Qed();
        LE32(b, 60, 0xFFFF_FFFF);
        Assert.Null(ProbeAsFile(b).BackingPath);
    }

    [Fact]
    public void LuksIsRawForNow()
        => Assert.Equal("raw", ProbeAsFile(Luks()).Format);

    // Probe(SafeFileHandle) on handles that are not an image file: nothing blocks, nothing throws.

    [Fact]
    public void FifoWithAWriterHeldOpenIsRawWithoutReading()
    {
        using var dir = new ImagesTempDirectory();
        string fifo = dir.File("fifo");
        MakeFifo(fifo);
        // Read-write: the open does not wait for a writer, and a read would wait for data for ever.
        using var handle = File.OpenHandle(fifo, FileMode.Open, FileAccess.ReadWrite);
        var probe = Within(TimeSpan.FromSeconds(5), () => FormatProbe.Probe(handle, fifo));
        Assert.Equal("raw", probe.Format);
    }

    [Fact]
    public void ProbeFileOnAFifoWithoutWriterReturnsAtOnce()
    {
        using var dir = new ImagesTempDirectory();
        string fifo = dir.File("fifo.qcow2");
        MakeFifo(fifo);
        Assert.Equal("raw", Within(TimeSpan.FromSeconds(5), () => FormatProbe.ProbeFile(fifo)).Format);
    }

    [Fact]
    public void DirectoryCharacterDeviceClosedAndWriteOnlyHandlesAreRaw()
    {
        using var dir = new ImagesTempDirectory();
        using (var directory = ProbeHandle.Open(dir.Path))
            Assert.Equal("raw", FormatProbe.Probe(directory, dir.Path).Format);
        Assert.Equal("raw", FormatProbe.ProbeFile("/dev/zero").Format);

        string image = dir.File("a.qcow2");
        File.WriteAllBytes(image, Qcow2(3, 1 << 20));
        var closed = File.OpenHandle(image);
        closed.Dispose();
        Assert.Equal("raw", FormatProbe.Probe(closed, image).Format);
        using var writeOnly = File.OpenHandle(image, FileMode.Open, FileAccess.Write);
        Assert.Equal("raw", FormatProbe.Probe(writeOnly, image).Format);
        Assert.Equal("qcow2", FormatProbe.ProbeFile(image).Format);
    }

    [Fact]
    public void MissingFileStillThrowsForTheCallerToReport()
        => Assert.ThrowsAny<IOException>(() => FormatProbe.ProbeFile("/nonexistent/kvmstor/probe"));

    private static void MakeFifo(string path)
    {
        using var mkfifo = Process.Start("mkfifo", [path]);
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
    }

    private static T Within<T>(TimeSpan limit, Func<T> action)
    {
        var task = Task.Run(action);
        Assert.True(task.Wait(limit), "the probe blocked");
        return task.Result;
    }
}
