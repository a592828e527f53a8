using System.Diagnostics;
using KvmStor.Images;

namespace KvmStor.Tests.Images;

/// <summary>
/// A header is written by whoever controls the file, so the probe must be total: valid headers of every probed format,
/// mutated deterministically (seeded) by truncation at every length, bit flips, extreme field values and random
/// bytes, must each give a probe with a format, quickly, without an exception, a large allocation, or a read at an
/// absurd place.
/// </summary>
public class FormatProbeFuzzTests
{
    private static readonly HashSet<string> Formats = ["raw", "qcow", "qcow2", "qed", "vmdk", "vdi", "vpc", "iso", "bochs", "cloop", "dmg", "cow", "ploop"];

    /// <summary>0, small, around 2^31, 2^32, 2^63 and 2^64 (that is, -1 and the most negative value as two's complement).</summary>
    private static readonly ulong[] Extremes =
    [
        0, 1, 8, 511, 512, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x1_0000_0000,
        long.MaxValue, (ulong)long.MaxValue + 1, ulong.MaxValue, ulong.MaxValue - 7,
    ];

    // Generous for a busy host (a GC pause or a descheduled thread); a quadratic or unbounded probe takes far longer.
    private static readonly TimeSpan PerCase = TimeSpan.FromSeconds(2);
    private const long MaxBytesAllocatedPerProbe = 1 << 20;

    public static TheoryData<string> Samples() => [.. ImageHeaders.All().Select(s => s.Name)];

    private static HeaderSample Sample(string name) => ImageHeaders.All().Single(s => s.Name == name);

    [Theory]
    [MemberData(nameof(Samples))]
    public void UntouchedSampleHasItsFormat(string name)
    {
        var sample = Sample(name);
        Assert.Equal(sample.Format, ProbeChecked(sample.Bytes, sample.FileName).Format);
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void TruncatedAtEveryLength(string name)
    {
        var sample = Sample(name);
        // Every length through the fixed fields and the first KiB or two (where names and extensions live); for the
        // ISO, every length around its signature too.
        var lengths = Enumerable.Range(0, Math.Min(sample.Bytes.Length, 2048) + 1);
        if (sample.Bytes.Length > 32_000) lengths = lengths.Concat(Enumerable.Range(32_760, 40)).Append(sample.Bytes.Length);
        int cases = 0;
        foreach (int length in lengths)
        {
            ProbeChecked(sample.Bytes.AsSpan(0, length).ToArray(), sample.FileName);
            cases++;
        }
        Assert.True(cases > 1000);
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void BitFlips(string name)
    {
        var sample = Sample(name);
        var random = new Random(HashSeed(name, 1));
        int span = Math.Min(sample.Bytes.Length, 2048);
        for (int i = 0; i < 1500; i++)
        {
            byte[] bytes = (byte[])sample.Bytes.Clone();
            int flips = 1 + random.Next(8);
            for (int f = 0; f < flips; f++)
            {
                // Mostly in the first 128 bytes, where every format keeps its fixed fields.
                int at = random.Next(4) == 0 ? random.Next(span) : random.Next(Math.Min(span, 128));
                bytes[at] ^= (byte)(1 << random.Next(8));
            }
            ProbeChecked(bytes, sample.FileName);
        }
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void FieldsOverwrittenWithExtremes(string name)
    {
        var sample = Sample(name);
        foreach (var field in sample.Fields)
        {
            var nearTheEnd = new ulong[] { (ulong)sample.Bytes.Length - 1, (ulong)sample.Bytes.Length, (ulong)sample.Bytes.Length + 1 };
            foreach (ulong value in Extremes.Concat(nearTheEnd))
            {
                byte[] bytes = (byte[])sample.Bytes.Clone();
                ImageHeaders.Write(bytes, field, value);
                ProbeChecked(bytes, sample.FileName);
            }
        }
        // Two fields at once: an offset and a size together are where reads go wrong.
        foreach (var a in sample.Fields)
            foreach (var b in sample.Fields.Where(b => b != a))
                foreach (ulong va in Extremes)
                    foreach (ulong vb in new ulong[] { 0, 1, 0xFFFF_FFFF, ulong.MaxValue })
                    {
                        byte[] bytes = (byte[])sample.Bytes.Clone();
                        ImageHeaders.Write(bytes, a, va);
                        ImageHeaders.Write(bytes, b, vb);
                        ProbeChecked(bytes, sample.FileName);
                    }
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void RandomBytesOverFieldsAndNames(string name)
    {
        var sample = Sample(name);
        var random = new Random(HashSeed(name, 2));
        int span = Math.Min(sample.Bytes.Length, 2048);
        for (int i = 0; i < 1000; i++)
        {
            byte[] bytes = (byte[])sample.Bytes.Clone();
            int at = random.Next(4, span), length = Math.Min(1 + random.Next(64), span - at);
            random.NextBytes(bytes.AsSpan(at, length));
            if (sample.Fields.Count > 0 && random.Next(2) == 0)
            {
                var field = sample.Fields[random.Next(sample.Fields.Count)];
                ImageHeaders.Write(bytes, field, (ulong)random.NextInt64() ^ ((ulong)random.Next(2) << 63));
            }
            ProbeChecked(bytes, sample.FileName);
        }
    }

    /// <summary>
    /// Through real files and <see cref="FormatProbe.ProbeFile"/>: a sample of the mutations above gives the same probe
    /// from disk as from memory, so the file path (which reads names beyond the header) is total as well.
    /// </summary>
    [Theory]
    [MemberData(nameof(Samples))]
    public void FromFilesAsFromMemory(string name)
    {
        var sample = Sample(name);
        var random = new Random(HashSeed(name, 3));
        using var dir = new ImagesTempDirectory();
        string path = dir.File(sample.FileName ?? "image");
        for (int i = 0; i < 60; i++)
        {
            byte[] bytes = (byte[])sample.Bytes.Clone();
            if (sample.Fields.Count > 0)
                ImageHeaders.Write(bytes, sample.Fields[random.Next(sample.Fields.Count)], Extremes[random.Next(Extremes.Length)]);
            if (random.Next(3) == 0) bytes = bytes[..random.Next(bytes.Length)];
            File.WriteAllBytes(path, bytes);

            var watch = Stopwatch.StartNew();
            var fromFile = FormatProbe.ProbeFile(path);
            Assert.True(watch.Elapsed < PerCase, $"{watch.Elapsed} to probe a {bytes.Length}-byte file");
            AssertSane(fromFile);
            var fromMemory = ProbeChecked(bytes, sample.FileName);
            Assert.Equal(Describe(fromMemory), Describe(fromFile));
        }
    }

    /// <summary>
    /// Probes from memory, with the bytes themselves as the "file" beyond the header, and checks what must hold for any
    /// input: no exception, bounded time and allocation, reads only at sane places, a sane result.
    /// </summary>
    private static ImageProbe ProbeChecked(byte[] bytes, string? fileName)
    {
        var watch = Stopwatch.StartNew();
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        ImageProbe probe;
        try
        {
            probe = FormatProbe.Probe(bytes.AsSpan(0, Math.Min(bytes.Length, FormatProbe.HeaderSize)), fileName, (offset, length) =>
            {
                Assert.True(offset >= 0, $"read at negative offset {offset}");
                Assert.InRange(length, 1, 4095);
                if (offset >= bytes.Length) return [];
                return bytes.AsSpan((int)offset, (int)Math.Min(length, bytes.Length - offset)).ToArray();
            });
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            throw new Xunit.Sdk.XunitException($"probe threw on {Convert.ToHexString(bytes.AsSpan(0, Math.Min(bytes.Length, 128)))}…: {e}");
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        Assert.True(watch.Elapsed < PerCase, $"{watch.Elapsed} to probe {bytes.Length} bytes");
        Assert.True(allocated < MaxBytesAllocatedPerProbe, $"{allocated} bytes allocated to probe {bytes.Length} bytes");
        AssertSane(probe);
        return probe;
    }

    private static void AssertSane(ImageProbe probe)
    {
        Assert.Contains(probe.Format, Formats);
        Assert.True(probe.Capacity is null or <= long.MaxValue, $"capacity {probe.Capacity}");
        foreach (string? name in new[] { probe.BackingPath, probe.BackingFormat })
        {
            if (name is null) continue;
            Assert.NotEqual("", name);
            Assert.DoesNotContain('\0', name);
            Assert.True(name.Length <= 4095, $"a {name.Length}-character name");
        }
        Assert.True(probe.ClusterSize is null or >= 512 and <= 1UL << 30);
    }

    private static string Describe(ImageProbe p) =>
        $"{p.Format} {p.Capacity} {p.BackingPath} {p.BackingFormat} {p.Compat} {p.ClusterSize} {string.Join(',', p.Features ?? [])} {p.EncryptionFormat}";

    /// <summary>A seed fixed per sample and test, so a failure reproduces.</summary>
    private static int HashSeed(string name, int salt) => name.Aggregate(17 * salt, (h, c) => h * 31 + c);
}
