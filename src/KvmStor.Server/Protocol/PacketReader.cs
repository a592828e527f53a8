using System.Buffers.Binary;
using KvmStor.Server.Xdr;

namespace KvmStor.Server.Protocol;

/// <summary>A length word no packet can have: the connection is closed without a reply, as libvirtd does (§1.6, #154, #156).</summary>
public sealed class FramingException(string message) : Exception(message);

/// <summary>
/// The length word and header of a packet whose payload is still in the socket: what a transfer reading its own
/// packets (<see cref="Transport.ClientReadLoan"/>) hands back to the read loop when the packet is not its own.
/// </summary>
/// <param name="Length">the length word, already checked</param>
/// <param name="Bytes">the <see cref="ProtocolLimits.MinPacket"/> bytes read: length word and header</param>
public sealed record PacketStart(uint Length, PacketHeader Header, byte[] Bytes)
{
    public int PayloadLength => (int)Length - ProtocolLimits.MinPacket;
}

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
        uint length = CheckLength(lengthWord, maxPacket);
        // Not zeroed first: every byte is read into it or the packet is refused (a stream packet is 256 KiB, an upload
        // of 1 GiB would otherwise clear 1 GiB of memory it overwrites at once).
        var rest = GC.AllocateUninitializedArray<byte>((int)(length - 4));
        await ReadExactlyAsync(stream, rest, cancel).ConfigureAwait(false);
        var header = PacketHeader.Read(rest);
        return new Packet(header, rest.AsMemory(ProtocolLimits.HeaderSize));
    }

    /// <summary>The rest of a packet whose length word and header were read already (and checked).</summary>
    public static async Task<Packet> ReadRestAsync(Stream stream, PacketStart start, CancellationToken cancel)
    {
        var rest = GC.AllocateUninitializedArray<byte>((int)(start.Length - 4));
        start.Bytes.AsSpan(4, ProtocolLimits.HeaderSize).CopyTo(rest);
        await ReadExactlyAsync(stream, rest.AsMemory(ProtocolLimits.HeaderSize), cancel).ConfigureAwait(false);
        return new Packet(start.Header, rest.AsMemory(ProtocolLimits.HeaderSize));
    }

    /// <summary>The packet length a length word gives, or <see cref="FramingException"/> when no packet can have it.</summary>
    public static uint CheckLength(ReadOnlySpan<byte> lengthWord, int maxPacket)
    {
        uint length = BinaryPrimitives.ReadUInt32BigEndian(lengthWord);
        if (length < ProtocolLimits.MinPacket) throw new FramingException($"packet length {length} is below the header size");
        if (length > (uint)maxPacket) throw new FramingException($"packet length {length} exceeds the maximum");
        return length;
    }

    private static async Task ReadExactlyAsync(Stream stream, Memory<byte> buffer, CancellationToken cancel)
    {
        int got = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancel).ConfigureAwait(false);
        if (got < buffer.Length) throw new FramingException("connection closed inside a packet");
    }
}
