using System.Net.Sockets;
using KvmStor.Server.Protocol;
using KvmStor.Server.Xdr;

namespace KvmStor.Conformance.Rpc;

/// <summary>One client connection of a replay: sends the captured client packets, keeps what the server sends.</summary>
internal sealed class ReplayConnection : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly NetworkStream _stream;
    private readonly List<Packet> _received = [];
    private readonly HashSet<Packet> _taken = [];
    private readonly Dictionary<uint, long> _clientStreamPositions = [];
    private readonly Task _reader;
    private bool _closed;

    public ReplayConnection(string socketPath)
    {
        _socket.Connect(new UnixDomainSocketEndPoint(socketPath));
        _stream = new NetworkStream(_socket, ownsSocket: false);
        _reader = Task.Run(ReadLoop);
    }

    private async Task ReadLoop()
    {
        try
        {
            while (await PacketReader.ReadAsync(_stream, CancellationToken.None) is { } packet)
                lock (_received)
                {
                    _received.Add(packet);
                    Monitor.PulseAll(_received);
                }
        }
        catch (Exception e) when (e is IOException or SocketException or FramingException or ObjectDisposedException) { }
        lock (_received)
        {
            _closed = true;
            Monitor.PulseAll(_received);
        }
    }

    public void Send(Packet packet)
    {
        try { _stream.Write(packet.Encode()); }
        catch (IOException) { } // the server closed the connection: what it sent (or not) is compared
    }

    public void TrackClientStream(PacketHeader h, byte[] payload)
    {
        _clientStreamPositions.TryGetValue(h.Serial, out long position);
        if (h.Type == MessageType.StreamHole) position += new XdrReader(payload).ReadHyper();
        else if (h.Status == MessageStatus.Continue) position += payload.Length;
        _clientStreamPositions[h.Serial] = position;
    }

    public long ClientStreamPosition(uint serial) => _clientStreamPositions.GetValueOrDefault(serial);

    /// <summary>The first packet not taken yet that <paramref name="match"/>es, waiting for it up to <paramref name="wait"/>.</summary>
    public Packet? Take(Func<Packet, bool> match, TimeSpan wait)
    {
        var deadline = DateTime.UtcNow + wait;
        lock (_received)
        {
            while (true)
            {
                var found = _received.FirstOrDefault(p => !_taken.Contains(p) && match(p));
                if (found is not null)
                {
                    _taken.Add(found);
                    return found;
                }
                var left = deadline - DateTime.UtcNow;
                if (_closed || left <= TimeSpan.Zero) return null;
                Monitor.Wait(_received, left);
            }
        }
    }

    private List<Packet> StreamPackets(uint serial)
    {
        lock (_received)
            return _received.Where(p => p.Header.Serial == serial && p.Header.Type is MessageType.Stream or MessageType.StreamHole).ToList();
    }

    /// <summary>The stream's bytes as the client would write them: data at its position, holes as zeros.</summary>
    public byte[] StreamBytes(uint serial)
    {
        var bytes = new MemoryStream();
        foreach (var p in StreamPackets(serial))
        {
            if (p.Header.Type == MessageType.StreamHole) bytes.Position += new XdrReader(p.Payload).ReadHyper();
            else if (p.Header.Status == MessageStatus.Continue) bytes.Write(p.Payload.Span);
            if (bytes.Position > bytes.Length) bytes.SetLength(bytes.Position);
        }
        return bytes.ToArray();
    }

    public string StreamTokens(uint serial, RpcReplay replay)
    {
        var tokens = new RpcReplay.TokenBuilder();
        foreach (var p in StreamPackets(serial)) tokens.Add(p.Header, p.Payload.ToArray(), replay);
        return tokens.ToString();
    }

    /// <summary>Waits until the server's stream has sent as much data and as many end packets as <paramref name="expected"/>.</summary>
    public bool WaitForStream(uint serial, RpcReplay.TokenBuilder expected, TimeSpan wait, RpcReplay replay)
    {
        var deadline = DateTime.UtcNow + wait;
        lock (_received)
        {
            while (true)
            {
                var tokens = new RpcReplay.TokenBuilder();
                foreach (var p in _received.Where(p => p.Header.Serial == serial && p.Header.Type is MessageType.Stream or MessageType.StreamHole))
                    tokens.Add(p.Header, p.Payload.ToArray(), replay);
                if (tokens.DataTotal >= expected.DataTotal && tokens.Terminals >= expected.Terminals) return true;
                var left = deadline - DateTime.UtcNow;
                if (_closed || left <= TimeSpan.Zero) return false;
                Monitor.Wait(_received, left);
            }
        }
    }

    public void Dispose()
    {
        try { _socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { }
        _reader.Wait(TimeSpan.FromSeconds(2));
        _stream.Dispose();
        _socket.Dispose();
    }
}
