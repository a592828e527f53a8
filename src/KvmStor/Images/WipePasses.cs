using KvmStor.Model;

namespace KvmStor.Images;

/// <summary>One overwrite: a repeating byte pattern, or random data when <see cref="Pattern"/> is null; optionally read back.</summary>
public sealed record WipePass(byte[]? Pattern, bool Verify = false)
{
    public bool IsRandom => Pattern is null;
}

/// <summary>
/// The passes of each algorithm as scrub(1) documents them (the sequences vol-wipe asks scrub for).
/// </summary>
public static class WipePasses
{
    private static WipePass Random => new(null);
    private static WipePass Fill(params byte[] pattern) => new(pattern);
    private static IEnumerable<WipePass> Randoms(int count) => Enumerable.Range(0, count).Select(_ => Random);

    public static IReadOnlyList<WipePass> For(WipeAlgorithm algorithm) => algorithm switch
    {
        WipeAlgorithm.Zero => [Fill(0x00)],
        // NNSA NAP-14.1-C: random twice, then zeros, then verify.
        WipeAlgorithm.Nnsa => [Random, Random, new WipePass([0x00], Verify: true)],
        // DoD 5220.22-M (d), random first as scrub does: random, 0x00, 0xff, verify.
        WipeAlgorithm.Dod => [Random, Fill(0x00), new WipePass([0xFF], Verify: true)],
        // BSI: 0xff, then each single-zero-bit byte from 0xfe down to 0x7f.
        WipeAlgorithm.Bsi => [.. new byte[] { 0xFF, 0xFE, 0xFD, 0xFB, 0xF7, 0xEF, 0xDF, 0xBF, 0x7F }.Select(b => Fill(b))],
        WipeAlgorithm.Gutmann => Gutmann(),
        // Schneier: 0x00, 0xff, five random passes.
        WipeAlgorithm.Schneier => [Fill(0x00), Fill(0xFF), .. Randoms(5)],
        WipeAlgorithm.Pfitzner7 => [.. Randoms(7)],
        WipeAlgorithm.Pfitzner33 => [.. Randoms(33)],
        WipeAlgorithm.Random => [Random],
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "no overwrite passes"),
    };

    /// <summary>Gutmann's 35 passes in the canonical order: 4 random, 27 fixed patterns, 4 random.</summary>
    private static IReadOnlyList<WipePass> Gutmann()
    {
        var passes = new List<WipePass>(35);
        passes.AddRange(Randoms(4));
        passes.Add(Fill(0x55));
        passes.Add(Fill(0xAA));
        passes.Add(Fill(0x92, 0x49, 0x24));
        passes.Add(Fill(0x49, 0x24, 0x92));
        passes.Add(Fill(0x24, 0x92, 0x49));
        for (int nibble = 0; nibble <= 0xF; nibble++) passes.Add(Fill((byte)(nibble * 0x11))); // 0x00, 0x11 … 0xff
        passes.Add(Fill(0x92, 0x49, 0x24));
        passes.Add(Fill(0x49, 0x24, 0x92));
        passes.Add(Fill(0x24, 0x92, 0x49));
        passes.Add(Fill(0x6D, 0xB6, 0xDB));
        passes.Add(Fill(0xB6, 0xDB, 0x6D));
        passes.Add(Fill(0xDB, 0x6D, 0xB6));
        passes.AddRange(Randoms(4));
        return passes;
    }
}
