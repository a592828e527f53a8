namespace KvmStor.Images.Probes;

/// <summary>QED: "QED\0", little-endian; features u64 @16, image_size u64 @48, backing name offset/size u32 @56/@60.</summary>
internal static class QedProbe
{
    private const ulong HasBackingFile = 1, BackingFormatNoProbe = 4;

    /// <summary>qemu reads a QED backing name into a PATH_MAX buffer and refuses one that does not fit.</summary>
    private const int MaxBackingName = 4095;

    public static ImageProbe? TryProbe(ReadOnlySpan<byte> header, ReadAt readAt)
    {
        var h = new HeaderReader(header);
        if (!h.Matches(0, "QED\0"u8)) return null;
        ulong features = h.U64LE(16) ?? 0;
        string? backing = (features & HasBackingFile) == 0 ? null
            : ProbeValues.BackingName(header, h.U32LE(56) ?? 0, h.U32LE(60) ?? 0, MaxBackingName, readAt);
        return new ImageProbe
        {
            Format = "qed",
            Capacity = ProbeValues.Bytes(h.U64LE(48)),
            BackingPath = backing,
            // The "no probe" flag is how QED says its backing file is raw; otherwise the format is left to probing.
            BackingFormat = backing is not null && (features & BackingFormatNoProbe) != 0 ? "raw" : null,
        };
    }
}
