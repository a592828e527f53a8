namespace KvmStor.Images.Probes;

/// <summary>
/// Formats recognised by a fixed signature whose header carries at most a size (and for cow, a backing name):
/// vdi, vpc, bochs, cloop, cow, ploop image, iso; dmg by its file name only (it has no leading signature).
/// </summary>
internal static class SignatureProbes
{
    /// <summary>Where the ISO 9660 primary volume descriptor's "CD001" sits; the header buffer must reach it.</summary>
    public const int IsoSignatureOffset = 32769;

    private static ReadOnlySpan<byte> CloopSignature =>
        "#!/bin/sh\n#V2.0 Format\nmodprobe cloop file=$0 && mount -r -t iso9660 /dev/cloop $1\n"u8;

    public static ImageProbe? TryProbe(ReadOnlySpan<byte> header, string? fileName)
    {
        var h = new HeaderReader(header);

        // VirtualBox: signature 0xbeda107f @64, version 1.1 @68, disk size u64 @368 (little-endian).
        if (h.U32LE(64) == 0xBEDA107F && h.U32LE(68) == 0x00010001)
            return new ImageProbe { Format = "vdi", Capacity = ProbeValues.Bytes(h.U64LE(368)) };

        // Dynamic VHD: footer copy at the start, "conectix", version 1.0 @12, original size u64 @40 (big-endian).
        if (h.Matches(0, "conectix"u8) && h.U32BE(12) == 0x00010000)
            return new ImageProbe { Format = "vpc", Capacity = ProbeValues.Bytes(h.U64BE(40)) };

        // Bochs growing image: version 2.0 @64, disk size u64 @88 (little-endian).
        if (h.Matches(0, "Bochs Virtual HD Image"u8) && h.U32LE(64) == 0x00020000)
            return new ImageProbe { Format = "bochs", Capacity = ProbeValues.Bytes(h.U64LE(88)) };

        if (h.Matches(0, CloopSignature))
            return new ImageProbe { Format = "cloop" };

        // User-mode Linux COW v2: "OOOM", backing name char[1024] @8, size u64 @1036 (big-endian).
        if (h.Matches(0, "OOOM"u8) && h.U32BE(4) == 2)
        {
            return new ImageProbe { Format = "cow", Capacity = ProbeValues.Bytes(h.U64BE(1036)), BackingPath = h.FixedString(8, 1024) };
        }

        // ploop image (root.hds): size in sectors u64 @36 (little-endian).
        if (h.Matches(0, "WithouFreSpacExt"u8) || h.Matches(0, "WithoutFreeSpace"u8))
            return new ImageProbe { Format = "ploop", Capacity = ProbeValues.Sectors(h.U64LE(36)) };

        if (h.Matches(IsoSignatureOffset, "CD001"u8))
            return new ImageProbe { Format = "iso" };

        if (fileName is not null && fileName.EndsWith(".dmg", StringComparison.Ordinal))
            return new ImageProbe { Format = "dmg" };

        return null;
    }
}
