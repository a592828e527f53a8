using System.Buffers.Binary;
using System.Net.Sockets;
using KvmStor.Server.Protocol;
using KvmStor.Server.Transport;
using KvmStor.Server.Xdr;

namespace KvmStor.Tests.Server;

/// <summary>
/// An in-process server fed random, truncated and oversized packets: it must answer whole packets (or close the
/// connection), never hang, never crash, and keep serving well-behaved clients afterwards.
/// </summary>
public sealed class ServerFuzzTests : IAsyncLifetime
{
    private readonly TempStateDirectory _state = new();
    private readonly CancellationTokenSource _stop = new();
    private Task? _server;
    private string Socket => Path.Combine(_state.Root, "sock");

    public Task InitializeAsync()
    {
        var started = new TaskCompletionSource();
        _server = Task.Run(() => ServerRunner.RunAsync(_state.OpenHost(), new ServeOptions(Socket), _stop.Token, _ => started.SetResult()));
        return started.Task.WaitAsync(TimeSpan.FromSeconds(20));
    }

    public async Task DisposeAsync()
    {
        _stop.Cancel();
        await _server!;
        _state.Dispose();
    }

    private Socket Connect()
    {
        var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        s.Connect(new UnixDomainSocketEndPoint(Socket));
        return s;
    }

    private static Packet Call(int proc, uint serial, byte[]? payload = null) =>
        new(new PacketHeader(Programs.Remote, 1, proc, MessageType.Call, serial, MessageStatus.Ok), payload ?? []);

    private static async Task<Packet?> Read(NetworkStream stream) =>
        await PacketReader.ReadAsync(stream, default).WaitAsync(TimeSpan.FromSeconds(10));

    /// <summary>A well-behaved client: auth, open, GET_TYPE. Proves the server still serves.</summary>
    private async Task AssertServes()
    {
        using var s = Connect();
        using var stream = new NetworkStream(s);
        stream.Write(Call(66, 0).Encode());
        Assert.Equal(MessageStatus.Ok, (await Read(stream))!.Header.Status);
        var open = new XdrWriter();
        open.WriteOptionalString("storage:///system");
        open.WriteUInt(0);
        stream.Write(Call(1, 1, open.Written.ToArray()).Encode());
        Assert.Equal(MessageStatus.Ok, (await Read(stream))!.Header.Status);
        stream.Write(Call(3, 2).Encode());
        var type = await Read(stream);
        Assert.Equal("storage", new XdrReader(type!.Payload).ReadString());
    }

    [Fact]
    public async Task Random_packets_get_whole_replies_or_a_closed_connection()
    {
        var random = new Random(1402);
        int[] procedures = [1, 2, 3, 60, 66, 71, 72, 75, 77, 84, 85, 86, 87, 88, 93, 95, 98, 99, 125, 141, 142, 144, 208, 209, 259, 260, 281, 282, 287, 368, 369, 9999];
        for (int round = 0; round < 40; round++)
        {
            using var s = Connect();
            using var stream = new NetworkStream(s);
            // Authenticate and open first half of the time, so the decoders behind the checks are reached too.
            if (round % 2 == 0)
            {
                stream.Write(Call(66, 0).Encode());
                await Read(stream);
                var open = new XdrWriter();
                open.WriteOptionalString("storage:///system");
                open.WriteUInt(0);
                stream.Write(Call(1, 1, open.Written.ToArray()).Encode());
                await Read(stream);
            }
            int sent = 0;
            for (int i = 0; i < 30; i++)
            {
                var payload = new byte[random.Next(0, 64)];
                random.NextBytes(payload);
                // Plausible lengths inside the payload now and then, so string and array decoders see big values.
                if (payload.Length >= 4 && random.Next(3) == 0) BinaryPrimitives.WriteUInt32BigEndian(payload, (uint)random.Next(0, 1 << 30));
                var type = random.Next(5) == 0 ? (MessageType)random.Next(0, 8) : MessageType.Call;
                var status = random.Next(6) == 0 ? (MessageStatus)random.Next(0, 3) : MessageStatus.Ok;
                uint program = random.Next(10) == 0 ? (uint)random.Next() : Programs.Remote;
                var header = new PacketHeader(program, random.Next(10) == 0 ? 2u : 1u, procedures[random.Next(procedures.Length)], type, (uint)(100 + i), status);
                try { stream.Write(new Packet(header, payload).Encode()); sent++; }
                catch (IOException) { break; }
            }
            // Then a truncated packet or an oversized length word, half the time.
            if (round % 3 == 1)
            {
                var word = new byte[4];
                BinaryPrimitives.WriteUInt32BigEndian(word, round % 2 == 0 ? 20u : (uint)ProtocolLimits.MaxPacket + 1);
                try { stream.Write(word); } catch (IOException) { }
            }
            s.Shutdown(SocketShutdown.Send);
            // Every reply that comes back is a whole packet (the reader throws FramingException on a partial one) until
            // the end, or a reset when the server closed with our packets unread (bad length word, CONNECT_CLOSE).
            try
            {
                while (await Read(stream) is { } reply)
                    Assert.True(reply.Header.Program is Programs.Remote or Programs.Keepalive || reply.Header.Type == MessageType.Reply);
            }
            catch (IOException) { }
        }
        await AssertServes();
    }

    [Fact]
    public async Task Calls_before_auth_and_open_and_unknown_procedures_get_libvirts_errors()
    {
        using var s = Connect();
        using var stream = new NetworkStream(s);
        stream.Write(Call(84, 0, [0, 0, 0, 1, 0x78, 0, 0, 0]).Encode());
        Assert.Equal("authentication required", Error(await Read(stream)).Message);
        stream.Write(Call(66, 1).Encode());
        await Read(stream);
        stream.Write(Call(84, 2, [0, 0, 0, 1, 0x78, 0, 0, 0]).Encode());
        Assert.Equal("internal error: connection not open", Error(await Read(stream)).Message);
        stream.Write(Call(9999, 3).Encode());
        var unknown = Error(await Read(stream));
        Assert.Equal((39, 7, "unknown procedure: 9999"), (unknown.Code, unknown.Domain, unknown.Message));
        stream.Write(new Packet(new PacketHeader(Programs.Keepalive, 1, 1, MessageType.Message, 0, MessageStatus.Ok), Array.Empty<byte>()).Encode());
        var pong = await Read(stream);
        Assert.Equal((Programs.Keepalive, Programs.KeepalivePong), (pong!.Header.Program, pong.Header.Procedure));

        // A procedure of libvirt 9.0 kvmstor does not serve (here 300, a domain call) is NO_SUPPORT once open, as a
        // libvirtd driver lacking the function answers, so clients say "not supported" and take their fallbacks.
        stream.Write(Call(1, 4, [0, 0, 0, 0, 0, 0, 0, 0]).Encode());
        Assert.Equal(MessageStatus.Ok, (await Read(stream))!.Header.Status);
        stream.Write(Call(300, 5, [0, 0, 0, 0]).Encode());
        var notServed = Error(await Read(stream));
        Assert.Equal((3, 20, "this function is not supported by the connection driver: remote procedure 300"),
            (notServed.Code, notServed.Domain, notServed.Message));
    }

    private static RemoteError Error(Packet? p)
    {
        Assert.Equal(MessageStatus.Error, p!.Header.Status);
        return RemoteError.Decode(new XdrReader(p.Payload));
    }
}
