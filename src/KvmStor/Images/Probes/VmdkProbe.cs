using System.Text;

namespace KvmStor.Images.Probes;

/// <summary>
/// Hosted sparse VMDK ("KDMV", little-endian): capacity in sectors u64 @12; the text descriptor follows the
/// first sector and may name a parent with parentFileNameHint="...". The parent's format is left to probing.
/// Like libvirt, the descriptor is taken from the second sector whatever the header's descriptor offset says,
/// so that field (which may hold anything) is never followed.
/// </summary>
internal static class VmdkProbe
{
    private const string ParentHint = "parentFileNameHint=\"";
    private const int DescriptorStart = 512;

    public static ImageProbe? TryProbe(ReadOnlySpan<byte> header)
    {
        var h = new HeaderReader(header);
        if (!h.Matches(0, "KDMV"u8) || h.U32LE(4) is not (1 or 2 or 3)) return null;
        return new ImageProbe
        {
            Format = "vmdk",
            Capacity = ProbeValues.Sectors(h.U64LE(12)),
            BackingPath = ParentFromDescriptor(header.Length > DescriptorStart ? header[DescriptorStart..] : []),
        };
    }

    private static string? ParentFromDescriptor(ReadOnlySpan<byte> descriptorArea)
    {
        int nul = descriptorArea.IndexOf((byte)0);
        string text = Encoding.UTF8.GetString(nul < 0 ? descriptorArea : descriptorArea[..nul]);
        int start = text.IndexOf(ParentHint, StringComparison.Ordinal);
        if (start < 0) return null;
        start += ParentHint.Length;
        int end = text.IndexOf('"', start);
        return end > start && end - start <= ProbeValues.MaxBackingName ? text[start..end] : null;
    }
}
