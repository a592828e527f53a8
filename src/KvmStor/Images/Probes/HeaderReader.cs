using System.Buffers.Binary;

namespace KvmStor.Images.Probes;

/// <summary>Bounds-checked reads from a header buffer (a short buffer yields "absent", never an exception).</summary>
internal readonly ref struct HeaderReader(ReadOnlySpan<byte> bytes)
{
    private readonly ReadOnlySpan<byte> _bytes = bytes;

    public int Length => _bytes.Length;

    public bool Has(int offset, int length) => offset >= 0 && length >= 0 && (long)offset + length <= _bytes.Length;

    public bool Matches(int offset, ReadOnlySpan<byte> magic) => Has(offset, magic.Length) && _bytes.Slice(offset, magic.Length).SequenceEqual(magic);

    public uint? U32BE(int offset) => Has(offset, 4) ? BinaryPrimitives.ReadUInt32BigEndian(_bytes[offset..]) : null;
    public uint? U32LE(int offset) => Has(offset, 4) ? BinaryPrimitives.ReadUInt32LittleEndian(_bytes[offset..]) : null;
    public ulong? U64BE(int offset) => Has(offset, 8) ? BinaryPrimitives.ReadUInt64BigEndian(_bytes[offset..]) : null;
    public ulong? U64LE(int offset) => Has(offset, 8) ? BinaryPrimitives.ReadUInt64LittleEndian(_bytes[offset..]) : null;
    public byte? U8(int offset) => Has(offset, 1) ? _bytes[offset] : null;

    /// <summary>The bytes at <paramref name="offset"/>, or none when they do not all lie inside the buffer.</summary>
    public ReadOnlySpan<byte> Slice(int offset, int length) => Has(offset, length) ? _bytes.Slice(offset, length) : [];

    /// <summary>A string field of fixed size, cut at the first NUL; null when empty or outside the buffer.</summary>
    public string? FixedString(int offset, int length) => Has(offset, length) ? ProbeValues.Name(_bytes.Slice(offset, length)) : null;
}
