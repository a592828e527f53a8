using System.Buffers.Binary;
using KvmStor.Server.Protocol;
using KvmStor.Server.Xdr;

namespace KvmStor.Tests.Server;

public sealed class FramingTests
{
    private static byte[] LengthWord(uint length)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, length);
        return bytes;
    }

    [Fact]
    public async Task A_packet_round_trips_through_its_length_word()
    {
        var packet = new Packet(new PacketHeader(Programs.Remote, 1, 84, MessageType.Call, 6, MessageStatus.Ok), new byte[] { 0, 0, 0, 1, 0x61, 0, 0, 0 });
        var bytes = packet.Encode();
        Assert.Equal(36u, BinaryPrimitives.ReadUInt32BigEndian(bytes));
        var back = await PacketReader.ReadAsync(new MemoryStream(bytes), default);
        Assert.Equal(packet.Header, back!.Header);
        Assert.Equal(packet.Payload.ToArray(), back.Payload.ToArray());
    }

    [Fact]
    public async Task A_clean_end_of_stream_is_no_packet()
    {
        Assert.Null(await PacketReader.ReadAsync(new MemoryStream(), default));
    }

    [Theory]
    [InlineData(20u)] // below the header (#156)
    [InlineData(0u)]
    [InlineData(ProtocolLimits.MaxPacket + 1u)] // beyond 4 + 32 MiB (#154)
    [InlineData(uint.MaxValue)]
    public async Task An_impossible_length_word_is_fatal(uint length)
    {
        await Assert.ThrowsAsync<FramingException>(() => PacketReader.ReadAsync(new MemoryStream(LengthWord(length)), default));
    }

    [Fact]
    public async Task A_stream_ending_inside_a_packet_is_fatal()
    {
        var bytes = LengthWord(100).Concat(new byte[30]).ToArray();
        await Assert.ThrowsAsync<FramingException>(() => PacketReader.ReadAsync(new MemoryStream(bytes), default));
        await Assert.ThrowsAsync<FramingException>(() => PacketReader.ReadAsync(new MemoryStream(new byte[2]), default));
    }
}
