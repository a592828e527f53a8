using System.Buffers.Binary;
using System.Net.Sockets;
using KvmStor.Model;
using KvmStor.Server.Protocol;
using KvmStor.Server.Transport;
using KvmStor.Server.Xdr;
using KvmStor.State;

namespace KvmStor.Tests.Server;

/// <summary>
/// The server's bounds (<see cref="ServeLimits"/>), small here so they are reached quickly, against an in-process
/// server: clients per socket and per read-only user, the open deadline, the read-only packet cap, pipelined calls of
/// a client that does not read, and a subscriber that never reads its events.
/// </summary>
public sealed class ServerLimitsTests : IDisposable
{
    private readonly TempStateDirectory _state = new();
    private InProcessServer? _server;
    private string Socket => Path.Combine(_state.Root, "sock");
    private string ReadOnlySocket => Socket + "-ro";

    private void Start(ServeLimits limits)
    {
        _server = new InProcessServer(_state.OpenHost(), new ServeOptions(Socket) { Limits = limits });
    }

    public void Dispose()
    {
        _server?.Dispose();
        _state.Dispose();
    }

    private static Socket Connect(string path)
    {
        var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        s.Connect(new UnixDomainSocketEndPoint(path));
        return s;
    }

    private static byte[] Call(int procedure, uint serial, ReadOnlySpan<byte> payload = default) =>
        new Packet(new PacketHeader(Programs.Remote, 1, procedure, MessageType.Call, serial, MessageStatus.Ok), payload.ToArray()).Encode();

    private static Packet? Read(Socket s, int seconds = 10)
    {
        using var stream = new NetworkStream(s, ownsSocket: false);
        return PacketReader.ReadAsync(stream, default).WaitAsync(TimeSpan.FromSeconds(seconds)).GetAwaiter().GetResult();
    }

    /// <summary>AUTH_LIST and CONNECT_OPEN, as every client starts.</summary>
    private static void Open(Socket s)
    {
        s.Send(Call(66, 0));
        Assert.Equal(MessageStatus.Ok, Read(s)!.Header.Status);
        var open = new XdrWriter();
        open.WriteOptionalString("storage:///system");
        open.WriteUInt(0);
        s.Send(Call(1, 1, open.Written));
        Assert.Equal(MessageStatus.Ok, Read(s)!.Header.Status);
    }

    /// <summary>A GET_TYPE round trip on an opened connection.</summary>
    private static void AssertServes(Socket s, uint serial)
    {
        s.Send(Call(3, serial));
        var reply = Read(s)!;
        Assert.Equal((serial, MessageStatus.Ok), (reply.Header.Serial, reply.Header.Status));
        Assert.Equal("storage", new XdrReader(reply.Payload).ReadString());
    }

    /// <summary>Whether the server closed the connection: the next read ends the stream (or resets it).</summary>
    private static bool ClosedByServer(Socket s, int seconds = 10)
    {
        s.ReceiveTimeout = seconds * 1000;
        var buffer = new byte[65536];
        try
        {
            while (true)
                if (s.Receive(buffer) == 0) return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset) { return true; }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock) { return false; }
    }

    [Fact]
    public void Read_only_clients_beyond_their_users_share_are_closed_and_the_read_write_socket_keeps_its_own_count()
    {
        Start(new ServeLimits { MaxReadOnlyClientsPerUser = 3, MaxReadOnlyClients = 10, MaxClients = 2 });
        var held = Enumerable.Range(0, 3).Select(_ => Connect(ReadOnlySocket)).ToList();
        foreach (var s in held) Open(s);
        using (var fourth = Connect(ReadOnlySocket))
            Assert.True(ClosedByServer(fourth), "a fourth read-only client of the same user was let in");

        // The read-write socket counts apart: full read-only sockets never lock its clients out…
        using var rw1 = Connect(Socket);
        using var rw2 = Connect(Socket);
        Open(rw1);
        Open(rw2);
        AssertServes(rw1, 10);
        // …and it has a bound of its own.
        using (var rw3 = Connect(Socket))
            Assert.True(ClosedByServer(rw3), "a third read-write client was let in");

        // A read-only client that leaves frees its place.
        held[0].Dispose();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var again = Connect(ReadOnlySocket);
            try
            {
                Open(again);
                AssertServes(again, 11);
                held[0] = again;
                break;
            }
            catch (Exception e) when (e is SocketException or IOException or NullReferenceException && DateTime.UtcNow < deadline)
            {
                again.Dispose();
                Thread.Sleep(100);
            }
        }
        foreach (var s in held) s.Dispose();
    }

    [Fact]
    public void A_connection_that_never_opens_is_closed_after_the_open_deadline()
    {
        Start(new ServeLimits { OpenTimeout = TimeSpan.FromMilliseconds(500) });
        using var idle = Connect(ReadOnlySocket);
        using var opened = Connect(ReadOnlySocket);
        Open(opened);
        Assert.True(ClosedByServer(idle), "an idle connection outlived the open deadline");
        Thread.Sleep(600);
        AssertServes(opened, 5);
    }

    [Fact]
    public void A_read_only_length_word_beyond_its_cap_closes_the_connection_the_read_write_socket_takes_it()
    {
        Start(new ServeLimits { MaxReadOnlyPacket = 4096 });
        var big = new byte[8000]; // an unknown procedure's arguments: answered with an error on the read-write socket
        using var ro = Connect(ReadOnlySocket);
        Open(ro);
        ro.Send(Call(9999, 7, big));
        Assert.True(ClosedByServer(ro), "the read-only socket read an 8 KB packet past its 4 KB cap");

        using var rw = Connect(Socket);
        Open(rw);
        rw.Send(Call(9999, 7, big));
        var reply = Read(rw)!;
        Assert.Equal((7u, MessageStatus.Error), (reply.Header.Serial, reply.Header.Status));
    }

    [Fact]
    public void Pipelined_calls_of_a_client_that_reads_no_reply_stop_being_read_others_are_served_and_nothing_is_lost()
    {
        Start(new ServeLimits { MaxQueuedReplyBytes = 16 * 1024 });
        using var greedy = Connect(ReadOnlySocket);
        Open(greedy);
        // GET_TYPE calls (28 bytes each) until the socket takes no more: the server has stopped reading.
        var call = Call(3, 0);
        greedy.SendTimeout = 2000;
        long sent = 0;
        var partial = Task.CompletedTask;
        for (uint serial = 100; ; serial++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(call.AsSpan(20), serial);
            int done = 0;
            try
            {
                while (done < call.Length) done += greedy.Send(call, done, call.Length - done, SocketFlags.None);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
            {
                // The rest of this packet goes once the replies are read below.
                var rest = call[done..];
                partial = Task.Run(() => { greedy.SendTimeout = 0; greedy.Send(rest); });
                sent++;
                break;
            }
            sent++;
            Assert.True(sent < 1_000_000, "the server read a million unanswered calls");
        }
        // The socket buffers hold a few hundred KB; what the server accepted beyond them is bounded by the reply queue.
        Assert.InRange(sent * 28, 16 * 1024 / 40 * 28, 4 * 1024 * 1024);

        using (var other = Connect(ReadOnlySocket))
        {
            Open(other);
            AssertServes(other, 2);
        }

        // Once the client reads, every call is answered exactly once.
        var serials = new HashSet<uint>();
        for (long i = 0; i < sent; i++)
        {
            var reply = Read(greedy, 30)!;
            Assert.Equal(MessageStatus.Ok, reply.Header.Status);
            Assert.True(serials.Add(reply.Header.Serial), $"serial {reply.Header.Serial} answered twice");
        }
        partial.Wait(TimeSpan.FromSeconds(10));
        Assert.Equal(sent, serials.Count);
        Assert.Equal(Enumerable.Range(100, (int)sent).Select(i => (uint)i).ToHashSet(), serials);
    }

    [Fact]
    public void A_subscriber_that_never_reads_its_events_is_disconnected_while_a_reading_one_gets_every_event()
    {
        // Enough events to fill the deaf client's socket buffer (a few hundred KB) and then its queue; the queue bound
        // is well above what one poll of the log brings at once, so a client that reads is never dropped.
        Start(new ServeLimits { MaxQueuedEventBytes = 256 * 1024 });
        const int Events = 12000;
        using var deaf = Connect(ReadOnlySocket);
        using var listening = Connect(ReadOnlySocket);
        foreach (var s in new[] { deaf, listening })
        {
            Open(s);
            var register = new XdrWriter();
            register.WriteInt(1); // VALUE_CHANGED
            register.WriteUInt(0); // every secret
            s.Send(Call(380, 2, register.Written));
            Assert.Equal(MessageStatus.Ok, Read(s)!.Header.Status);
        }
        int received = 0;
        var reader = Task.Run(() =>
        {
            while (received < Events && Read(listening, 30) is { } p)
                if (p.Header.Procedure == 383) received++;
        });

        // What the engine appends for each secret-set-value of any process, as fast as a writer can.
        var log = new SecretEventLog(_state.Paths, rotateAtBytes: 64 * 1024 * 1024);
        var secret = Guid.NewGuid();
        for (int i = 0; i < Events; i++)
            log.Append(new SecretEvent(secret, SecretUsageType.Iscsi, "iqn.2026-01.test:" + i, null, DateTimeOffset.UtcNow));

        Assert.True(reader.Wait(TimeSpan.FromSeconds(60)), $"the reading subscriber got {received} of {Events} events");
        Assert.Equal(Events, received);
        // The deaf one was dropped: it finds fewer events than were sent, then the end of its connection.
        int deafGot = 0;
        deaf.ReceiveTimeout = 10000;
        try
        {
            while (Read(deaf) is { } p)
                if (p.Header.Procedure == 383) deafGot++;
        }
        catch (Exception e) when (e is IOException or SocketException or FramingException) { }
        Assert.InRange(deafGot, 1, Events - 1);
        using var after = Connect(ReadOnlySocket);
        Open(after);
        AssertServes(after, 9);
    }
}
