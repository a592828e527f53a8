using KvmStor.Model;
using KvmStor.Server.Protocol;
using KvmStor.Server.Transport;
using KvmStor.Server.Xdr;

namespace KvmStor.Tests.Server;

/// <summary>
/// STORAGE_VOL_UPLOAD on the wire against an in-process server: the upload's thread reads its own packets from the
/// socket (ClientReadLoan), so everything else the client sends meanwhile — keepalive pings, other calls, packets of
/// no stream — must still reach the read loop and be answered, and the bytes must land in order.
/// </summary>
public sealed class UploadStreamTests : IAsyncLifetime
{
    private const int Upload = 208, GetUri = 110;
    private const int Chunk = ProtocolLimits.StreamChunk;

    private readonly TempStateDirectory _state = new();
    private InProcessServer? _server;
    private string SocketPath => Path.Combine(_state.Root, "sock");
    private string VolumePath => Path.Combine(_state.PoolDir("p"), "v.img");

    public Task InitializeAsync()
    {
        var host = _state.OpenHost();
        host.Pools.Define($"<pool type='dir'><name>p</name><target><path>{_state.PoolDir("p")}</path></target></pool>");
        host.Pools.Build("p", PoolBuildFlags.None);
        host.Pools.Start("p", PoolBuildFlags.None);
        host.Volumes.Create("p", "<volume><name>v.img</name><capacity>16777216</capacity></volume>", VolumeCreateFlags.None);
        _server = new InProcessServer(host, new ServeOptions(SocketPath));
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        _server?.Dispose();
        _state.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Opens the upload stream; returns the call's header, which every stream packet repeats.</summary>
    private static PacketHeader StartUpload(RawRpcClient c, bool sparse)
    {
        var args = new XdrWriter();
        new VolumeHandleWire("p", "v.img", "").Write(args);
        args.WriteUHyper(0);
        args.WriteUHyper(0);
        args.WriteUInt(sparse ? 1u : 0u);
        var call = new PacketHeader(Programs.Remote, 1, Upload, MessageType.Call, c.NextSerial(), MessageStatus.Ok);
        c.Send(call, args.Written);
        var reply = c.Receive();
        Assert.Equal((MessageType.Reply, MessageStatus.Ok), (reply.Header.Type, reply.Header.Status));
        return call;
    }

    private static byte[] Data(int length)
    {
        var data = new byte[length];
        new Random(14).NextBytes(data);
        return data;
    }

    [Fact]
    public void A_server_stopping_while_an_upload_waits_for_data_ends_without_the_client()
    {
        // The upload's thread waits in poll(2) for the client's next packet; stopping the server must end that wait
        // (the client neither sends nor closes) rather than wait for a call that waits for the client.
        using var c = new RawRpcClient(SocketPath, "storage:///system");
        var call = StartUpload(c, sparse: false);
        c.Send(call.Answer(MessageType.Stream, MessageStatus.Continue), Data(Chunk));
        Thread.Sleep(300);
        var server = _server!;
        _server = null;
        server.Dispose(); // asserts that it stopped within its bound
    }

    [Fact]
    public void Pings_and_calls_sent_between_the_data_packets_are_answered_and_the_bytes_land_in_order()
    {
        using var c = new RawRpcClient(SocketPath, "storage:///system");
        var call = StartUpload(c, sparse: false);
        var data = Data(12 * Chunk + 1000);
        var pongs = 0;
        var uris = 0;
        for (int i = 0, sent = 0; sent < data.Length; i++)
        {
            int n = Math.Min(Chunk, data.Length - sent);
            c.Send(call.Answer(MessageType.Stream, MessageStatus.Continue), data.AsSpan(sent, n));
            sent += n;
            if (i % 3 == 1)
            {
                c.Send(new PacketHeader(Programs.Keepalive, 1, Programs.KeepalivePing, MessageType.Message, 0, MessageStatus.Ok), []);
                var pong = c.Receive();
                Assert.Equal((Programs.Keepalive, Programs.KeepalivePong), (pong.Header.Program, pong.Header.Procedure));
                pongs++;
            }
            if (i % 4 == 2)
            {
                // A call in the middle of the stream, and a stream packet of a serial no stream has (dropped).
                c.Send(new PacketHeader(Programs.Remote, 1, Upload, MessageType.Stream, 9999, MessageStatus.Continue), [1, 2, 3]);
                var reply = c.Call(GetUri);
                Assert.Equal("storage:///system", new XdrReader(reply.Payload).ReadString());
                uris++;
            }
        }
        c.Send(call.Answer(MessageType.Stream, MessageStatus.Ok), []);
        var done = c.Receive();
        Assert.Equal((MessageType.Stream, MessageStatus.Ok, call.Serial), (done.Header.Type, done.Header.Status, done.Header.Serial));
        Assert.Equal((4, 3), (pongs, uris));
        Assert.Equal(data, File.ReadAllBytes(VolumePath)[..data.Length]);
        // The connection reads on normally after the stream.
        Assert.Equal(MessageStatus.Ok, c.Call(GetUri).Header.Status);
    }

    [Fact]
    public void A_sparse_upload_read_from_the_socket_keeps_its_holes_and_a_hole_on_a_dense_stream_closes_the_connection()
    {
        using (var c = new RawRpcClient(SocketPath, "storage:///system"))
        {
            var call = StartUpload(c, sparse: true);
            // More packets than the read loop queues (8), so that the upload reads some of them itself.
            const int Before = 10 * Chunk, Hole = 1 << 20;
            var data = Data(20 * Chunk);
            for (int at = 0; at < Before; at += Chunk)
                c.Send(call.Answer(MessageType.Stream, MessageStatus.Continue), data.AsSpan(at, Chunk));
            var hole = new XdrWriter();
            hole.WriteHyper(Hole);
            hole.WriteUInt(0);
            c.Send(call.Answer(MessageType.StreamHole, MessageStatus.Continue), hole.Written);
            for (int at = Before; at < data.Length; at += Chunk)
                c.Send(call.Answer(MessageType.Stream, MessageStatus.Continue), data.AsSpan(at, Chunk));
            c.Send(call.Answer(MessageType.Stream, MessageStatus.Ok), []);
            Assert.Equal(MessageStatus.Ok, c.Receive().Header.Status);
            var back = File.ReadAllBytes(VolumePath);
            Assert.Equal(data.AsSpan(0, Before), back.AsSpan(0, Before));
            Assert.True(back.AsSpan(Before, Hole).IndexOfAnyExcept((byte)0) < 0);
            Assert.Equal(data.AsSpan(Before), back.AsSpan(Before + Hole, data.Length - Before));
        }
        using (var c = new RawRpcClient(SocketPath, "storage:///system"))
        {
            var call = StartUpload(c, sparse: false);
            var data = Data(12 * Chunk);
            for (int at = 0; at < data.Length; at += Chunk)
                c.Send(call.Answer(MessageType.Stream, MessageStatus.Continue), data.AsSpan(at, Chunk));
            var hole = new XdrWriter();
            hole.WriteHyper(4096);
            hole.WriteUInt(0);
            c.Send(call.Answer(MessageType.StreamHole, MessageStatus.Continue), hole.Written);
            // libvirtd closes the whole connection (§6.1): the next read ends.
            var end = PacketReader.ReadAsync(c.Stream, default).WaitAsync(TimeSpan.FromSeconds(20)).GetAwaiter().GetResult();
            Assert.Null(end);
        }
    }

    [Fact]
    public void An_abort_in_the_middle_writes_what_arrived_and_is_confirmed()
    {
        using var c = new RawRpcClient(SocketPath, "storage:///system");
        var call = StartUpload(c, sparse: false);
        // Packets larger than virsh's too (the protocol allows up to 32 MiB).
        var data = Data(24 * Chunk);
        for (int at = 0; at < data.Length; at += 3 * Chunk)
            c.Send(call.Answer(MessageType.Stream, MessageStatus.Continue), data.AsSpan(at, 3 * Chunk));
        c.Send(call.Answer(MessageType.Stream, MessageStatus.Error), []);
        var confirm = c.Receive();
        Assert.Equal((MessageType.Stream, MessageStatus.Ok), (confirm.Header.Type, confirm.Header.Status));
        Assert.Equal(data, File.ReadAllBytes(VolumePath)[..data.Length]);
        Assert.Equal(MessageStatus.Ok, c.Call(GetUri).Header.Status);
    }
}
