using System.Net.Sockets;
using KvmStor.Server.Protocol;
using KvmStor.Server.Xdr;

namespace KvmStor.Tests.Server;

/// <summary>
/// A client that speaks the wire protocol by hand to an in-process server: authenticates, opens <c>uri</c>, then sends
/// calls (and, for stream tests, any packet) and reads the replies in order.
/// </summary>
internal sealed class RawRpcClient : IDisposable
{
    private const int AuthList = 66, Open = 1;
    private static readonly TimeSpan ReplyLimit = TimeSpan.FromSeconds(20);

    private readonly Socket _socket;
    private uint _serial = 1;

    public NetworkStream Stream { get; }

    public RawRpcClient(string path, string uri)
    {
        _socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _socket.Connect(new UnixDomainSocketEndPoint(path));
        Stream = new NetworkStream(_socket);
        Assert.Equal(MessageStatus.Ok, Call(AuthList).Header.Status);
        var open = new XdrWriter();
        open.WriteOptionalString(uri);
        open.WriteUInt(0);
        Assert.Equal(MessageStatus.Ok, Call(Open, open).Header.Status);
    }

    public uint NextSerial() => _serial++;

    public void Send(PacketHeader header, ReadOnlySpan<byte> payload) => Stream.Write(Packet.Encode(header, payload));

    public Packet Receive()
    {
        var packet = PacketReader.ReadAsync(Stream, default).WaitAsync(ReplyLimit).GetAwaiter().GetResult();
        Assert.NotNull(packet);
        return packet!;
    }

    public Packet Call(int procedure, XdrWriter? args = null)
    {
        Send(new PacketHeader(Programs.Remote, 1, procedure, MessageType.Call, NextSerial(), MessageStatus.Ok), args is null ? [] : args.Written);
        var reply = Receive();
        Assert.Equal(procedure, reply.Header.Procedure);
        return reply;
    }

    /// <summary>A call that must succeed: its result to decode.</summary>
    public XdrReader Ok(int procedure, XdrWriter? args = null)
    {
        var reply = Call(procedure, args);
        if (reply.Header.Status != MessageStatus.Ok)
            Assert.Fail($"procedure {procedure}: {RemoteError.Decode(new XdrReader(reply.Payload)).Message}");
        return new XdrReader(reply.Payload);
    }

    public RemoteError Error(int procedure, XdrWriter? args = null)
    {
        var reply = Call(procedure, args);
        Assert.Equal(MessageStatus.Error, reply.Header.Status);
        return RemoteError.Decode(new XdrReader(reply.Payload));
    }

    public void Dispose()
    {
        Stream.Dispose();
        _socket.Dispose();
    }
}
