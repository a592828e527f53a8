using System.Buffers.Binary;
using KvmStor.Server.Xdr;

namespace KvmStor.Server.Protocol;

/// <summary>virNetMessageType: what a packet is (reference §1.3).</summary>
public enum MessageType { Call = 0, Reply = 1, Message = 2, Stream = 3, CallWithFds = 4, ReplyWithFds = 5, StreamHole = 6 }

/// <summary>virNetMessageStatus.</summary>
public enum MessageStatus { Ok = 0, Error = 1, Continue = 2 }

/// <summary>The program numbers the server knows.</summary>
public static class Programs
{
    public const uint Remote = 0x20008086;
    public const uint Keepalive = 0x6b656570;
    public const uint Version = 1;

    public const int KeepalivePing = 1;
    public const int KeepalivePong = 2;
}

/// <summary>The 24 header bytes after the length word.</summary>
public readonly record struct PacketHeader(uint Program, uint Version, int Procedure, MessageType Type, uint Serial, MessageStatus Status)
{
    public static PacketHeader Read(ReadOnlySpan<byte> header) => new(
        BinaryPrimitives.ReadUInt32BigEndian(header),
        BinaryPrimitives.ReadUInt32BigEndian(header[4..]),
        BinaryPrimitives.ReadInt32BigEndian(header[8..]),
        (MessageType)BinaryPrimitives.ReadInt32BigEndian(header[12..]),
        BinaryPrimitives.ReadUInt32BigEndian(header[16..]),
        (MessageStatus)BinaryPrimitives.ReadInt32BigEndian(header[20..]));

    public void Write(Span<byte> header)
    {
        BinaryPrimitives.WriteUInt32BigEndian(header, Program);
        BinaryPrimitives.WriteUInt32BigEndian(header[4..], Version);
        BinaryPrimitives.WriteInt32BigEndian(header[8..], Procedure);
        BinaryPrimitives.WriteInt32BigEndian(header[12..], (int)Type);
        BinaryPrimitives.WriteUInt32BigEndian(header[16..], Serial);
        BinaryPrimitives.WriteInt32BigEndian(header[20..], (int)Status);
    }

    /// <summary>The header of the answer to this packet: same program, version, procedure and serial.</summary>
    public PacketHeader Answer(MessageType type, MessageStatus status) => this with { Type = type, Status = status };
}

/// <summary>One packet: its header and payload.</summary>
public sealed record Packet(PacketHeader Header, ReadOnlyMemory<byte> Payload)
{
    /// <summary>The bytes on the wire: length word (counting itself), header, payload.</summary>
    public byte[] Encode() => Encode(Header, Payload.Span);

    /// <summary>The bytes on the wire of a packet with that header and payload, the payload copied once (a download's data straight from the engine's buffer).</summary>
    public static byte[] Encode(PacketHeader header, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > ProtocolLimits.MaxPayload) throw new InvalidOperationException("payload too large for one packet");
        // Not zeroed first: every byte is written below.
        var bytes = GC.AllocateUninitializedArray<byte>(ProtocolLimits.MinPacket + payload.Length);
        BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)bytes.Length);
        header.Write(bytes.AsSpan(4));
        payload.CopyTo(bytes.AsSpan(ProtocolLimits.MinPacket));
        return bytes;
    }
}
