namespace KvmStor.Images.Probes;

/// <summary>QED: "QED\0", little-endian; features u64 @16, image_size u64 @48, backing name offset/size u32 @56/@60.</summary>
internal static class QedProbe
{
    private const ulong HasBackingFile = 1, BackingFormatNoProbe = 4;

    public static ImageProbe? TryProbe(ReadOnlySpan<byte> header, ReadAt readAt)
    {
        var h = new HeaderReader(header);
        if (!h.Matches(0, "QED\0"u8)) return null;
        ulong features = h.U64LE(16) ?? 0;
        string? backing = null;
        if ((features & HasBackingFile) != 0 && h.U32LE(56) is uint offset and > 0 && h.U32LE(60) is uint size and > 0 and <= 4096)
        {
            backing = h.Has((int)Math.Min(offset, int.MaxValue), (int)size)
                ? h.FixedString((int)offset, (int)size)
                : System.Text.Encoding.UTF8.GetString(readAt(offset, (int)size));
        }
        return new ImageProbe
        {
            Format = "qed",
            Capacity = h.U64LE(48),
            BackingPath = backing,
            // The "no probe" flag is how QED says its backing file is raw; otherwise the format is left to probing.
            BackingFormat = backing is not null && (features & BackingFormatNoProbe) != 0 ? "raw" : null,
        };
    }
}
