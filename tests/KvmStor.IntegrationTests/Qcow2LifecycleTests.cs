using System.Text.Json;
using KvmStor.Images.Qcow2;

namespace KvmStor.IntegrationTests;

/// <summary>
/// Every option combination goes through create → write → grow → shrink → wipe with kvmstor's own qcow2 code;
/// after each step the real qemu-img must find the image consistent and see the same metadata and guest data.
/// </summary>
public sealed class Qcow2LifecycleTests
{
    private const long Size = 6 * 1024 * 1024 + 1536;

    public static TheoryData<string> Cases => new()
    {
        "v2", "v2-4k", "v3", "v3-4k", "v3-2m", "v3-512", "v3-lazy", "v3-extl2", "v3-extl2-16k-lazy",
        "v3-metadata", "v3-falloc", "v3-full", "v2-metadata", "v2-full", "v3-4k-full", "v3-extl2-metadata", "v3-2m-falloc",
        "backing-raw", "backing-qcow2", "backing-qcow2-v2", "backing-extl2-metadata", "backing-no-format",
    };

    private static Qcow2CreateOptions OptionsFor(string name) => name switch
    {
        "v2" => new() { VirtualSize = Size, Compat = "0.10" },
        "v2-4k" => new() { VirtualSize = Size, Compat = "0.10", ClusterSize = 4096 },
        "v3" => new() { VirtualSize = Size },
        "v3-4k" => new() { VirtualSize = Size, ClusterSize = 4096 },
        "v3-2m" => new() { VirtualSize = Size, ClusterSize = 2 * 1024 * 1024 },
        "v3-512" => new() { VirtualSize = Size, ClusterSize = 512 },
        "v3-lazy" => new() { VirtualSize = Size, LazyRefcounts = true },
        "v3-extl2" => new() { VirtualSize = Size, ExtendedL2 = true },
        "v3-extl2-16k-lazy" => new() { VirtualSize = Size, ExtendedL2 = true, ClusterSize = 16384, LazyRefcounts = true },
        "v3-metadata" => new() { VirtualSize = Size, Preallocation = Qcow2Preallocation.Metadata },
        "v3-falloc" => new() { VirtualSize = Size, Preallocation = Qcow2Preallocation.Falloc },
        "v3-full" => new() { VirtualSize = Size, Preallocation = Qcow2Preallocation.Full },
        "v2-metadata" => new() { VirtualSize = Size, Compat = "0.10", Preallocation = Qcow2Preallocation.Metadata },
        "v2-full" => new() { VirtualSize = Size, Compat = "0.10", Preallocation = Qcow2Preallocation.Full },
        "v3-4k-full" => new() { VirtualSize = Size, ClusterSize = 4096, Preallocation = Qcow2Preallocation.Full },
        "v3-extl2-metadata" => new() { VirtualSize = Size, ExtendedL2 = true, Preallocation = Qcow2Preallocation.Metadata },
        "v3-2m-falloc" => new() { VirtualSize = Size, ClusterSize = 2 * 1024 * 1024, Preallocation = Qcow2Preallocation.Falloc },
        "backing-raw" => new() { VirtualSize = Size, BackingFile = "base.raw", BackingFormat = "raw" },
        "backing-qcow2" => new() { VirtualSize = Size, BackingFile = "base.qcow2", BackingFormat = "qcow2" },
        "backing-qcow2-v2" => new() { VirtualSize = Size, Compat = "0.10", BackingFile = "base.qcow2", BackingFormat = "qcow2" },
        "backing-extl2-metadata" => new()
        {
            VirtualSize = Size, ExtendedL2 = true, Preallocation = Qcow2Preallocation.Metadata,
            BackingFile = "base.raw", BackingFormat = "raw",
        },
        "backing-no-format" => new() { VirtualSize = Size, BackingFile = "base.raw" },
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void CreateWriteGrowShrinkWipe_AreSeenConsistentByQemu(string name)
    {
        using var dir = new Qcow2ScratchDir();
        Qcow2CreateOptions options = OptionsFor(name);
        byte[] baseContent = options.BackingFile == null ? new byte[Size] : MakeBacking(dir, options.BackingFile);
        string image = dir.File("vol.qcow2");

        // Create.
        Qcow2Image.Create(image, options);
        VerifyWithQemu(image, options, Size, baseContent, dir);
        JsonElement info = Qcow2QemuTools.Info(image);
        long actual = info.GetProperty("actual-size").GetInt64();
        if (options.Preallocation is Qcow2Preallocation.Full or Qcow2Preallocation.Falloc)
            Assert.True(actual >= Size, $"{options.Preallocation} preallocation should occupy the data area, actual-size {actual}");
        else
            Assert.True(actual < Size / 2, $"{options.Preallocation} preallocation should stay sparse, actual-size {actual}");

        // Writes: partial clusters, cluster-crossing runs, the tail, and zeros.
        byte[] model = (byte[])baseContent.Clone();
        var random = new Random(name.GetHashCode());
        using (Qcow2Image img = Qcow2Image.Open(image, writable: true))
        {
            foreach ((long offset, int length) in new (long, int)[]
                     { (0, 100), (options.ClusterSize - 10, 5000), (1024 * 1024 + 777, 200_000), (Size - 3000, 3000), (4 * 1024 * 1024, 70_000) })
                WriteRandom(img, model, offset, length, random);
            img.Write(3 * 1024 * 1024, new byte[65536]);
            Array.Clear(model, 3 * 1024 * 1024, 65536);
            img.Write(1024 * 1024 + 1000, new byte[4096]); // zeros over data must really overwrite
            Array.Clear(model, 1024 * 1024 + 1000, 4096);
        }
        VerifyWithQemu(image, options, Size, model, dir);
        AssertOurReadEquals(image, model);

        // Grow (with data in the new area), refused shrinks, then an allowed shrink.
        long grown = Size * 3;
        long dataBeyond = Size * 2 + 5;
        using (Qcow2Image img = Qcow2Image.Open(image, writable: true))
        {
            img.Resize(grown, allowShrink: false);
            Array.Resize(ref model, (int)grown);
            WriteRandom(img, model, dataBeyond, 1000, random);
        }
        VerifyWithQemu(image, options, grown, model, dir);

        long shrunk = (dataBeyond + 1000 + options.ClusterSize - 1) / options.ClusterSize * options.ClusterSize;
        using (Qcow2Image img = Qcow2Image.Open(image, writable: true))
        {
            var noFlag = Assert.Throws<StorageException>(() => img.Resize(shrunk, allowShrink: false));
            Assert.Contains("unless shrinking is allowed", noFlag.Message);
            var dataInTheWay = Assert.Throws<StorageException>(() => img.Resize(Size, allowShrink: true));
            Assert.Contains("guest data is stored at offset", dataInTheWay.Message);
            Assert.Equal(grown, img.VirtualSize);
            img.Resize(shrunk, allowShrink: true);
        }
        Array.Resize(ref model, (int)shrunk);
        VerifyWithQemu(image, options, shrunk, model, dir);
        AssertOurReadEquals(image, model);

        // Wipe: same size and options, no data of its own.
        Qcow2Image.WipeToEmpty(image);
        byte[] wiped = new byte[shrunk];
        Array.Copy(baseContent, wiped, Math.Min(baseContent.Length, wiped.Length));
        VerifyWithQemu(image, options with { Preallocation = Qcow2Preallocation.Off }, shrunk, wiped, dir);
        AssertOurReadEquals(image, wiped);
    }

    /// <summary>A backing image with scattered random data; raw, or qcow2 made by qemu-img from that raw file.</summary>
    private static byte[] MakeBacking(Qcow2ScratchDir dir, string fileName)
    {
        var content = new byte[Size];
        var random = new Random(42);
        foreach ((int offset, int length) in new[] { (0, 300_000), (2 * 1024 * 1024 - 4000, 10_000), (5 * 1024 * 1024, 100_000) })
            random.NextBytes(content.AsSpan(offset, length));
        string raw = dir.File("base.raw");
        File.WriteAllBytes(raw, content);
        if (fileName.EndsWith(".qcow2"))
            Qcow2QemuTools.RunOk("qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, dir.File(fileName));
        return content;
    }

    private static void WriteRandom(Qcow2Image img, byte[] model, long offset, int length, Random random)
    {
        var data = new byte[length];
        random.NextBytes(data);
        img.Write(offset, data);
        data.CopyTo(model, offset);
    }

    private static void VerifyWithQemu(string image, Qcow2CreateOptions options, long size, byte[] expected, Qcow2ScratchDir dir)
    {
        Qcow2QemuTools.Check(image);
        JsonElement info = Qcow2QemuTools.Info(image);
        Assert.Equal("qcow2", info.GetProperty("format").GetString());
        Assert.Equal(size, info.GetProperty("virtual-size").GetInt64());
        Assert.Equal(options.ClusterSize, info.GetProperty("cluster-size").GetInt32());
        JsonElement specific = info.GetProperty("format-specific").GetProperty("data");
        Assert.Equal(options.Compat, specific.GetProperty("compat").GetString());
        if (options.Compat == "1.1")
        {
            Assert.Equal(options.LazyRefcounts, specific.GetProperty("lazy-refcounts").GetBoolean());
            Assert.Equal(options.ExtendedL2, specific.GetProperty("extended-l2").GetBoolean());
            Assert.Equal(16, specific.GetProperty("refcount-bits").GetInt32());
            Assert.False(specific.GetProperty("corrupt").GetBoolean());
        }
        if (options.BackingFile == null)
        {
            Assert.False(info.TryGetProperty("backing-filename", out _));
        }
        else
        {
            Assert.Equal(options.BackingFile, info.GetProperty("backing-filename").GetString());
            if (options.BackingFormat != null)
                Assert.Equal(options.BackingFormat, info.GetProperty("backing-filename-format").GetString());
            else
                Assert.False(info.TryGetProperty("backing-filename-format", out _));
        }
        AssertSameBytes(expected, Qcow2QemuTools.ReadAllViaQemu(image, dir.Path), "qemu-img convert");
    }

    internal static void AssertOurReadEquals(string image, byte[] expected)
    {
        using Qcow2Image img = Qcow2Image.Open(image, writable: false);
        Assert.Equal(expected.Length, img.VirtualSize);
        var actual = new byte[expected.Length];
        img.Read(0, actual);
        AssertSameBytes(expected, actual, "kvmstor reader");
    }

    internal static void AssertSameBytes(byte[] expected, byte[] actual, string who)
    {
        Assert.True(expected.Length == actual.Length, $"{who}: length {actual.Length}, expected {expected.Length}");
        int diff = expected.AsSpan().CommonPrefixLength(actual);
        Assert.True(diff == expected.Length, $"{who}: first difference at guest offset {diff}");
    }
}
