using System.Text;

namespace KvmStor.Images.Probes;

/// <summary>Reads past the header buffer (a backing name or descriptor stored further in).</summary>
internal delegate byte[] ReadAt(long offset, int length);

/// <summary>qcow (version 1) and qcow2 (versions 2 and 3): both start with "QFI\xfb", big-endian.</summary>
internal static class QcowProbe
{
    private static ReadOnlySpan<byte> Magic => [(byte)'Q', (byte)'F', (byte)'I', 0xFB];

    private const uint BackingFormatExtension = 0xE2792ACA;
    private const int MaxBackingName = 4096;

    public static ImageProbe? TryProbe(ReadOnlySpan<byte> header, ReadAt readAt)
    {
        var h = new HeaderReader(header);
        if (!h.Matches(0, Magic)) return null;
        return h.U32BE(4) switch
        {
            1 => ProbeQcow1(h, readAt),
            2 or 3 => ProbeQcow2(h, header, readAt),
            _ => null,
        };
    }

    // qcow1: backing offset u64 @8, backing size u32 @16, size u64 @24, crypt_method u32 @36.
    private static ImageProbe ProbeQcow1(HeaderReader h, ReadAt readAt) => new()
    {
        Format = "qcow",
        Capacity = h.U64BE(24),
        BackingPath = BackingName(h, readAt),
        EncryptionFormat = h.U32BE(36) is 1 ? "qcow" : null,
    };

    // qcow2: backing offset u64 @8, size u32 @16, cluster_bits u32 @20, size u64 @24, crypt_method u32 @32;
    // v3 adds incompatible features u64 @72, compatible u64 @80, header_length u32 @100.
    private static ImageProbe ProbeQcow2(HeaderReader h, ReadOnlySpan<byte> header, ReadAt readAt)
    {
        bool v3 = h.U32BE(4) == 3;
        uint clusterBits = h.U32BE(20) ?? 0;
        List<string>? features = null;
        if (v3)
        {
            features = [];
            ulong incompatible = h.U64BE(72) ?? 0, compatible = h.U64BE(80) ?? 0;
            if ((compatible & 1) != 0) features.Add("lazy_refcounts");
            if ((incompatible & (1UL << 4)) != 0) features.Add("extended_l2");
        }
        string? backing = BackingName(h, readAt);
        int extensionsStart = v3 ? (int)(h.U32BE(100) ?? 104) : 72;
        return new ImageProbe
        {
            Format = "qcow2",
            Capacity = h.U64BE(24),
            BackingPath = backing,
            BackingFormat = backing is null ? null : BackingFormatFromExtensions(h, extensionsStart, (long)(h.U64BE(8) ?? 0)),
            Compat = v3 ? "1.1" : "0.10",
            ClusterSize = clusterBits is >= 9 and <= 30 ? 1UL << (int)clusterBits : null,
            Features = features,
            EncryptionFormat = h.U32BE(32) switch { 1 => "qcow", 2 => "luks", _ => null },
        };
    }

    /// <summary>Walks the header extensions (type u32, length u32, data padded to 8) for the backing format.</summary>
    private static string? BackingFormatFromExtensions(HeaderReader h, int offset, long backingNameOffset)
    {
        long limit = backingNameOffset > 0 ? Math.Min(backingNameOffset, h.Length) : h.Length;
        while (offset + 8 <= limit)
        {
            uint type = h.U32BE(offset)!.Value, length = h.U32BE(offset + 4)!.Value;
            if (type == 0) break;
            int data = offset + 8;
            if (type == BackingFormatExtension && data + length <= limit)
                return h.FixedString(data, (int)length);
            offset = data + (int)((length + 7) & ~7u);
            if (length > int.MaxValue / 2) break;
        }
        return null;
    }

    private static string? BackingName(HeaderReader h, ReadAt readAt)
    {
        ulong offset = h.U64BE(8) ?? 0;
        uint size = h.U32BE(16) ?? 0;
        if (offset == 0 || size == 0 || size > MaxBackingName) return null;
        if (h.Has((int)Math.Min(offset, int.MaxValue), (int)size)) return h.FixedString((int)offset, (int)size);
        byte[] name = readAt((long)offset, (int)size);
        return name.Length == size ? Encoding.UTF8.GetString(name) : null;
    }
}
