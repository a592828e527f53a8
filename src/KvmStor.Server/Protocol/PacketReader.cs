using System.Buffers.Binary;
using KvmStor.Server.Xdr;

namespace KvmStor.Server.Protocol;

/// <summary>A length word no packet can have: the connection is closed without a reply, as libvirtd does (§1.6, #154, #156).</summary>
public sealed class FramingException(string message) : Exception(message);

/// <summary>Cuts a byte stream into packets at the length words.</summary>
public static class PacketReader
{
    /// <summary>
    /// The next packet, or null at a clean end of stream (before a length word). A length outside
    /// [<see cref="ProtocolLimits.MinPacket"/>, <see cref="ProtocolLimits.MaxPacket"/>] or a stream ending inside a
    /// packet throws <see cref="FramingException"/>; the payload is only allocated once its length has been checked.
    /// </summary>
    /// <param name="maxPacket">a lower cap than the protocol's, for a connection that has no use for big packets</param>
    public static async Task<Packet?> ReadAsync(Stream stream, CancellationToken cancel, int maxPacket = ProtocolLimits.MaxPacket)
    {
        var lengthWord = new byte[4];
        int got = await stream.ReadAtLeastAsync(lengthWord, 4, throwOnEndOfStream: false, cancel).ConfigureAwait(false);
        if (got == 0) return null;
        if (got < 4) throw new FramingException("connection closed inside a length word");
        uint length = BinaryPrimitives.ReadUInt32BigEndian(lengthWord);
        if (length < ProtocolLimits.MinPacket) throw new FramingException($"packet length {length} is below the header size");
        if (length > (uint)maxPacket) throw new FramingException($"packet length {length} exceeds the maximum");
        var rest = new byte[length - 4];
        got = await stream.ReadAtLeastAsync(rest, rest.Length, throwOnEndOfStream: false, cancel).ConfigureAwait(false);
        if (got < rest.Length) throw new FramingException("connection closed inside a packet");
        var header = PacketHeader.Read(rest);
        return new Packet(header, rest.AsMemory(ProtocolLimits.HeaderSize));
    }
}
