using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace KvmStor.Server.Xdr;

/// <summary>Encodes XDR into a growing buffer; padding bytes are always zero.</summary>
public sealed class XdrWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new(256);

    public int Length => _buffer.WrittenCount;

    public ReadOnlySpan<byte> Written => _buffer.WrittenSpan;

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.WrittenMemory;

    public void WriteInt(int value) => BinaryPrimitives.WriteInt32BigEndian(Reserve(4), value);

    public void WriteUInt(uint value) => BinaryPrimitives.WriteUInt32BigEndian(Reserve(4), value);

    public void WriteHyper(long value) => BinaryPrimitives.WriteInt64BigEndian(Reserve(8), value);

    public void WriteUHyper(ulong value) => BinaryPrimitives.WriteUInt64BigEndian(Reserve(8), value);

    public void WriteBool(bool value) => WriteInt(value ? 1 : 0);

    public void WriteOpaque(ReadOnlySpan<byte> bytes)
    {
        WriteUInt((uint)bytes.Length);
        WriteFixedOpaque(bytes);
    }

    /// <summary>Bytes without a length word, padded to 4 (remote_uuid, raw layouts).</summary>
    public void WriteFixedOpaque(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Reserve(bytes.Length));
        int pad = (4 - (bytes.Length & 3)) & 3;
        Reserve(pad).Clear();
    }

    public void WriteString(string value) => WriteOpaque(Encoding.UTF8.GetBytes(value));

    public void WriteOptionalString(string? value)
    {
        WriteBool(value is not null);
        if (value is not null) WriteString(value);
    }

    public void WriteUuid(Guid uuid)
    {
        Span<byte> bytes = stackalloc byte[16];
        uuid.TryWriteBytes(bytes, bigEndian: true, out _);
        WriteFixedOpaque(bytes);
    }

    private Span<byte> Reserve(int count)
    {
        var span = _buffer.GetSpan(count)[..count];
        _buffer.Advance(count);
        return span;
    }
}
