using System.Text;

namespace KvmStor.Images.Probes;

/// <summary>
/// Turns raw header fields into probe values, treating what no real image can hold as absent: a header is written
/// by whoever controls the file, so every field may hold any bit pattern.
/// </summary>
internal static class ProbeValues
{
    /// <summary>Backing names longer than this are refused by qemu ("Backing file name too long"), so by us too.</summary>
    public const int MaxBackingName = 1023;

    /// <summary>A size in bytes; beyond 2^63-1 it cannot be a file's or a device's, and would turn negative as a long.</summary>
    public static ulong? Bytes(ulong? value) => value is <= long.MaxValue ? value : null;

    /// <summary>A size in 512-byte sectors, in bytes; absent when the product leaves the range of <see cref="Bytes"/>.</summary>
    public static ulong? Sectors(ulong? sectors) => sectors is <= long.MaxValue / 512 ? sectors * 512 : null;

    /// <summary>A name stored as bytes: cut at the first NUL (C readers stop there), absent when empty.</summary>
    public static string? Name(ReadOnlySpan<byte> bytes)
    {
        int nul = bytes.IndexOf((byte)0);
        var text = nul < 0 ? bytes : bytes[..nul];
        return text.IsEmpty ? null : Encoding.UTF8.GetString(text);
    }

    /// <summary>
    /// A backing name stored at (<paramref name="offset"/>, <paramref name="size"/>): from the header when it lies inside,
    /// else read from the file. Impossible places (past 2^63, longer than <paramref name="maxLength"/>) mean "no name",
    /// so nothing absurd is ever allocated or read.
    /// </summary>
    public static string? BackingName(ReadOnlySpan<byte> header, ulong offset, ulong size, int maxLength, ReadAt readAt)
    {
        if (offset == 0 || size == 0 || size > (ulong)maxLength || offset > long.MaxValue - size) return null;
        if (offset + size <= (ulong)header.Length) return Name(header.Slice((int)offset, (int)size));
        byte[] name = readAt((long)offset, (int)size);
        return name.Length == (int)size ? Name(name) : null;
    }
}
