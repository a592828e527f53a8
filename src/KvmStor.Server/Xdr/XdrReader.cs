using System.Buffers.Binary;
using System.Text;

namespace KvmStor.Server.Xdr;

/// <summary>
/// Decodes XDR (RFC 4506) from a received payload. Every length is checked against the bytes that remain and against
/// the cap the protocol gives it before anything is allocated, so a hostile length can cost at most the packet itself.
/// </summary>
public sealed class XdrReader(ReadOnlyMemory<byte> payload)
{
    private readonly ReadOnlyMemory<byte> _data = payload;
    private int _position;

    public int Remaining => _data.Length - _position;

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > Remaining) throw new XdrException("payload ends early");
        var span = _data.Span.Slice(_position, count);
        _position += count;
        return span;
    }

    public int ReadInt() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    public uint ReadUInt() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    public long ReadHyper() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public ulong ReadUHyper() => BinaryPrimitives.ReadUInt64BigEndian(Take(8));

    /// <summary>An optional-data pointer: libvirt treats any non-zero word as "present".</summary>
    public bool ReadPresent() => ReadUInt() != 0;

    /// <summary>A length-prefixed byte string (opaque&lt;max&gt;), padded to 4.</summary>
    public byte[] ReadOpaque(int max)
    {
        int length = ReadLength(max);
        var bytes = Take(length).ToArray();
        SkipPadding(length);
        return bytes;
    }

    /// <summary>remote_nonnull_string: UTF-8, at most <paramref name="max"/> bytes.</summary>
    public string ReadString(int max = ProtocolLimits.StringMax)
    {
        int length = ReadLength(max);
        string text;
        try { text = new UTF8Encoding(false, true).GetString(Take(length)); }
        catch (DecoderFallbackException) { throw new XdrException("string is not UTF-8"); }
        SkipPadding(length);
        return text;
    }

    /// <summary>remote_string: a pointer word, then the string if present.</summary>
    public string? ReadOptionalString() => ReadPresent() ? ReadString() : null;

    /// <summary>remote_uuid: 16 raw bytes, no length word, in RFC 4122 byte order.</summary>
    public Guid ReadUuid() => new(Take(16), bigEndian: true);

    /// <summary>Fixed-size opaque data (no length word), padded to 4.</summary>
    public byte[] ReadFixedOpaque(int length)
    {
        var bytes = Take(length).ToArray();
        SkipPadding(length);
        return bytes;
    }

    /// <summary>The count of a variable array, checked against its cap and against what the payload can still hold.</summary>
    public int ReadArrayCount(int max, int minElementSize)
    {
        uint count = ReadUInt();
        if (count > (uint)max) throw new XdrException($"array of {count} elements exceeds its limit of {max}");
        if ((long)count * minElementSize > Remaining) throw new XdrException("payload ends early");
        return (int)count;
    }

    private int ReadLength(int max)
    {
        uint length = ReadUInt();
        if (length > (uint)max) throw new XdrException($"length {length} exceeds its limit of {max}");
        if (length > (uint)Remaining) throw new XdrException("payload ends early");
        return (int)length;
    }

    private void SkipPadding(int length)
    {
        int pad = (4 - (length & 3)) & 3;
        Take(pad);
    }
}
