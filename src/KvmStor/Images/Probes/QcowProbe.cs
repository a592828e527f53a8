namespace KvmStor.Images.Probes;

/// <summary>
/// qcow (version 1) and qcow2 (versions 2 and 3): both start with "QFI\xfb", big-endian. Any other bytes after the
/// magic still give a probe: fields that cannot be right are left out, never thrown over.
/// </summary>
internal static class QcowProbe
{
    private static ReadOnlySpan<byte> Magic => [(byte)'Q', (byte)'F', (byte)'I', 0xFB];

    private const uint BackingFormatExtension = 0xE2792ACA;
    private const int Version2HeaderLength = 72, Version3MinimumHeaderLength = 104;

    public static ImageProbe? TryProbe(ReadOnlySpan<byte> header, ReadAt readAt)
    {
        var h = new HeaderReader(header);
        if (!h.Matches(0, Magic)) return null;
        return h.U32BE(4) switch
        {
            1 => ProbeQcow1(h, header, readAt),
            2 or 3 => ProbeQcow2(h, header, readAt),
            _ => null,
        };
    }

    // qcow1: backing offset u64 @8, backing size u32 @16, size u64 @24, crypt_method u32 @36.
    private static ImageProbe ProbeQcow1(HeaderReader h, ReadOnlySpan<byte> header, ReadAt readAt) => new()
    {
        Format = "qcow",
        Capacity = ProbeValues.Bytes(h.U64BE(24)),
        BackingPath = BackingName(h, header, readAt),
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
        string? backing = BackingName(h, header, readAt);
        return new ImageProbe
        {
            Format = "qcow2",
            Capacity = ProbeValues.Bytes(h.U64BE(24)),
            BackingPath = backing,
            BackingFormat = backing is null ? null : BackingFormatFromExtensions(h, ExtensionsStart(h, v3), h.U64BE(8) ?? 0),
            Compat = v3 ? "1.1" : "0.10",
            ClusterSize = clusterBits is >= 9 and <= 30 ? 1UL << (int)clusterBits : null,
            Features = features,
            EncryptionFormat = h.U32BE(32) switch { 1 => "qcow", 2 => "luks", _ => null },
        };
    }

    /// <summary>Where the header extensions begin; a v3 header_length below the fixed header's size is not believed.</summary>
    private static long ExtensionsStart(HeaderReader h, bool v3)
    {
        if (!v3) return Version2HeaderLength;
        uint length = h.U32BE(100) ?? Version3MinimumHeaderLength;
        return length < Version3MinimumHeaderLength ? Version3MinimumHeaderLength : length;
    }

    /// <summary>
    /// Walks the header extensions (type u32, length u32, data padded to 8) for the backing format, inside the buffer
    /// and before the backing name. Every step moves at least 8 bytes forward, so the walk ends within the buffer.
    /// </summary>
    private static string? BackingFormatFromExtensions(HeaderReader h, long offset, ulong backingNameOffset)
    {
        long limit = backingNameOffset is > 0 and < int.MaxValue ? Math.Min((long)backingNameOffset, h.Length) : h.Length;
        while (offset + 8 <= limit)
        {
            uint type = h.U32BE((int)offset)!.Value, length = h.U32BE((int)offset + 4)!.Value;
            if (type == 0) return null;
            long data = offset + 8;
            if (type == BackingFormatExtension)
                return data + length <= limit ? ProbeValues.Name(h.Slice((int)data, (int)length)) : null;
            offset = data + ((length + 7L) & ~7L);
        }
        return null;
    }

    private static string? BackingName(HeaderReader h, ReadOnlySpan<byte> header, ReadAt readAt) =>
        ProbeValues.BackingName(header, h.U64BE(8) ?? 0, h.U32BE(16) ?? 0, ProbeValues.MaxBackingName, readAt);
}
