using System.Collections.Concurrent;
using System.Net.Sockets;
using KvmStor.Server.Dispatch;
using KvmStor.Server.Protocol;
using KvmStor.Server.Streams;
using KvmStor.Server.Xdr;

namespace KvmStor.Server.Transport;

/// <summary>
/// One client: a read loop that cuts packets, answers keepalive and protocol errors itself, runs connection calls in
/// order and every other call beside it (at most <see cref="ServeOptions.MaxCallsPerClient"/> at once, and for a
/// read-only client within its user's and the read-only sockets' shares; replies in whatever order they finish:
/// serials match them), routes stream packets to their transfer (or lends the socket to an upload that reads its own,
/// <see cref="ClientReadLoan"/>), and one writer that sends each packet whole.
/// A client that pipelines calls without reading the replies stops being read once <see cref="ServeLimits.MaxQueuedReplyBytes"/>
/// wait for it; one that lets its events pile up is disconnected; one that never opens the connection is closed
/// after <see cref="ServeLimits.OpenTimeout"/>.
/// </summary>
public sealed class ClientConnection : IDisposable
{
    private const int AuthList = 66;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly OutboundQueue _out = new();
    private readonly SemaphoreSlim _calls;
    private readonly IReadOnlyList<SemaphoreSlim> _sharedCallGates;
    private readonly CancellationTokenSource _closing = new();
    private readonly ConcurrentDictionary<uint, IServerStream> _streams = new();
    private readonly ConcurrentDictionary<Task, byte> _running = new();
    private readonly int _maxPacket;
    private long _lastReceivedTicks = Environment.TickCount64;
    private int _unansweredPings;
    private volatile bool _closeRequested;

    /// <param name="sharedCallGates">gates every call passes besides the connection's own (a read-only client's shares), outermost first</param>
    public ClientConnection(Socket socket, ServerState server, bool readOnlySocket, PeerCredentials peer, IReadOnlyList<SemaphoreSlim>? sharedCallGates = null)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
        Server = server;
        ReadOnlySocket = readOnlySocket;
        ReadOnly = readOnlySocket;
        Peer = peer;
        _calls = new SemaphoreSlim(server.Options.MaxCallsPerClient);
        _sharedCallGates = sharedCallGates ?? [];
        // Nothing a read-only connection may call needs a big packet: a bigger length word ends it before any allocation.
        _maxPacket = readOnlySocket ? Math.Min(Limits.MaxReadOnlyPacket, ProtocolLimits.MaxPacket) : ProtocolLimits.MaxPacket;
        Reads = new ClientReadLoan(socket, _maxPacket);
    }

    private ServeLimits Limits => Server.Options.Limits;

    public ServerState Server { get; }
    public PeerCredentials Peer { get; }
    public bool ReadOnlySocket { get; }

    /// <summary>The socket, for a transfer that reads its own packets between two of the read loop's.</summary>
    public ClientReadLoan Reads { get; }

    // ---- session state, changed only by inline (read-loop) procedures ----
    public bool Authenticated { get; set; }
    public bool Opened { get; set; }
    public bool ReadOnly { get; set; }
    public string? OpenedName { get; set; }

    /// <summary>Opened as qemu:///…: the hypervisor driver's calls (domains, host, networks…) are served too.</summary>
    public bool Hypervisor => OpenedName?.StartsWith("qemu:", StringComparison.Ordinal) == true;
    public bool KeepaliveRequested { get; set; }

    /// <summary>Fires when the client goes away: running transfers stop, so nothing is left half done or locked.</summary>
    public CancellationToken Closing => _closing.Token;

    /// <summary>CONNECT_CLOSE: the reply goes out, then the read loop ends.</summary>
    public void RequestClose() => _closeRequested = true;

    public bool RegisterStream(uint serial, IServerStream stream) => _streams.TryAdd(serial, stream);

    public void UnregisterStream(uint serial, IServerStream stream) => _streams.TryRemove(new KeyValuePair<uint, IServerStream>(serial, stream));

    public async Task RunAsync()
    {
        var writer = WriteLoopAsync();
        var keepalive = KeepaliveLoopAsync();
        var openDeadline = OpenDeadlineAsync();
        try
        {
            while (!_closeRequested && !_closing.IsCancellationRequested)
            {
                // A client that does not read its replies is not read either: its pipelined calls wait in the socket.
                await _out.WaitBelowAsync(OutboundKind.Reply, Limits.MaxQueuedReplyBytes, _closing.Token).ConfigureAwait(false);
                Packet? packet;
                if (Reads.TryLend() is { } lent)
                {
                    // An upload reads its own packets until it is done or meets one that is not its own.
                    var end = await lent.WaitAsync(_closing.Token).ConfigureAwait(false);
                    if (end.Failed) break;
                    if (end.Foreign is not { } start) continue;
                    packet = await PacketReader.ReadRestAsync(_stream, start, _closing.Token).ConfigureAwait(false);
                }
                else
                    packet = await PacketReader.ReadAsync(_stream, _closing.Token, _maxPacket).ConfigureAwait(false);
                if (packet is null) break;
                NoteReceived();
                await HandleAsync(packet).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is FramingException or IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // A bad length word or a vanished client: the connection ends without a reply (§1.6).
        }
        finally
        {
            await ShutdownAsync(writer, keepalive, openDeadline).ConfigureAwait(false);
        }
    }

    /// <summary>A packet arrived: the client is alive (for keepalive), whoever read it.</summary>
    public void NoteReceived()
    {
        Interlocked.Exchange(ref _lastReceivedTicks, Environment.TickCount64);
        Interlocked.Exchange(ref _unansweredPings, 0);
    }

    private async Task WriteLoopAsync()
    {
        try { await _out.WriteAllAsync(_stream, _closing.Token).ConfigureAwait(false); }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException) { }
        // A write that failed means the client is gone; the read loop and the running calls learn it from here.
        try { _closing.Cancel(); } catch (ObjectDisposedException) { }
    }

    /// <summary>Closes a connection that has not opened the connection in time (libvirtd's max_anonymous_clients, as a deadline).</summary>
    private async Task OpenDeadlineAsync()
    {
        try
        {
            await Task.Delay(Limits.OpenTimeout, _closing.Token).ConfigureAwait(false);
            if (!Opened) _closing.Cancel();
        }
        catch (OperationCanceledException) { }
    }

    private async Task ShutdownAsync(Task writer, Task keepalive, Task openDeadline)
    {
        if (_closeRequested)
        {
            // CONNECT_CLOSE: its reply (and what was queued before it) goes out first, for a little while at most.
            _out.Complete();
            await Task.WhenAny(writer, Task.Delay(TimeSpan.FromSeconds(2))).ConfigureAwait(false);
        }
        _closing.Cancel();
        _out.Complete();
        Server.Events.Unsubscribe(this);
        foreach (var stream in _streams.Values) stream.Abort();
        try { _socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
        // Running calls see the cancellation; wait for them so their locks are released before the connection is gone.
        try { await Task.WhenAll(_running.Keys.Append(keepalive).Append(openDeadline).Append(writer)).ConfigureAwait(false); } catch { }
    }

    private async Task HandleAsync(Packet packet)
    {
        var h = packet.Header;
        if (h.Program == Programs.Keepalive && h.Version == Programs.Version && h.Type == MessageType.Message)
        {
            if (h.Procedure == Programs.KeepalivePing)
                Send(new Packet(new PacketHeader(Programs.Keepalive, Programs.Version, Programs.KeepalivePong, MessageType.Message, 0, MessageStatus.Ok), ReadOnlyMemory<byte>.Empty));
            return; // a PONG only proves liveness, which receiving it already did
        }
        if (h.Program != Programs.Remote || h.Version != Programs.Version)
        {
            if (h.Type == MessageType.Call)
                SendError(h, RemoteError.Rpc($"Cannot find program {h.Program} version {h.Version}"));
            return;
        }
        switch (h.Type)
        {
            case MessageType.Call:
                await HandleCallAsync(packet).ConfigureAwait(false);
                return;
            case MessageType.Stream or MessageType.StreamHole:
                // A stream packet of no open stream is dropped, as libvirtd does.
                if (_streams.TryGetValue(h.Serial, out var stream) && stream.Procedure == h.Procedure)
                    await stream.OnPacketAsync(packet).ConfigureAwait(false);
                return;
            default:
                return; // replies and non-keepalive messages from a client mean nothing: dropped (§1.7)
        }
    }

    private async Task HandleCallAsync(Packet packet)
    {
        var h = packet.Header;
        if (h.Status != MessageStatus.Ok)
        {
            SendError(h, RemoteError.Rpc($"Unexpected message status {(int)h.Status}"));
            return;
        }
        var procedure = ProcedureTable.Find(h.Procedure);
        if (procedure is null)
        {
            SendError(h, RemoteError.Rpc($"unknown procedure: {h.Procedure}"));
            return;
        }
        if (!Authenticated && h.Procedure != AuthList)
        {
            SendError(h, RemoteError.Rpc("authentication required"));
            return;
        }
        if (!Opened && !procedure.BeforeOpen)
        {
            SendError(h, RemoteError.Internal(ErrorDomains.Rpc,
                procedure.Family == ProcedureFamily.Connection ? "hypervisor connection not open" : "connection not open"));
            return;
        }
        var call = new CallContext(this, procedure, packet, _closing.Token);
        if (ReadOnly && procedure.Changes)
        {
            SendError(h, RemoteError.ReadOnly(call.Domain, procedure.Api));
            return;
        }
        if (procedure.Family.IsHypervisor() && !Hypervisor)
        {
            // A storage or secret connection has no hypervisor driver behind it: NO_SUPPORT, as virtstoraged answers.
            SendError(h, RemoteError.NoSupport(ErrorDomains.Domain, procedure.Api));
            return;
        }
        if (procedure.Inline)
        {
            Execute(call);
            return;
        }
        var gates = await EnterCallGatesAsync().ConfigureAwait(false);
        var task = Task.Run(() =>
        {
            try { Execute(call); }
            finally { ReleaseCallGates(gates); }
        });
        _running.TryAdd(task, 0);
        _ = task.ContinueWith(t => _running.TryRemove(t, out _), TaskScheduler.Default);
    }

    /// <summary>
    /// The connection's own call slot, then the shared ones (a read-only client's user share, then the read-only
    /// sockets'), waited for in the read loop: until a call may run, nothing more of this client is read.
    /// </summary>
    private async Task<List<SemaphoreSlim>> EnterCallGatesAsync()
    {
        var entered = new List<SemaphoreSlim>(1 + _sharedCallGates.Count);
        try
        {
            foreach (var gate in _sharedCallGates.Prepend(_calls))
            {
                await gate.WaitAsync(_closing.Token).ConfigureAwait(false);
                entered.Add(gate);
            }
            return entered;
        }
        catch
        {
            ReleaseCallGates(entered);
            throw;
        }
    }

    private static void ReleaseCallGates(List<SemaphoreSlim> entered)
    {
        for (int i = entered.Count - 1; i >= 0; i--) entered[i].Release();
    }

    /// <summary>Runs a handler and answers it: its result, or the error libvirt would give. Never throws.</summary>
    private void Execute(CallContext call)
    {
        RemoteError error;
        try
        {
            call.Procedure.Handler(call);
            if (!call.Replied)
                Send(new Packet(call.Header.Answer(MessageType.Reply, MessageStatus.Ok), call.Ret.WrittenMemory));
            return;
        }
        catch (XdrException) { error = RemoteError.Rpc("Unable to decode message payload"); }
        catch (RpcFault fault) { error = fault.Error; }
        catch (StorageException e) { error = EngineErrors.ToRemote(e, call.Domain); }
        catch (OperationCanceledException) when (_closing.IsCancellationRequested) { return; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = RemoteError.Make(ErrorNumbers.SystemError, call.Domain, "", e.Message);
        }
        catch (Exception e)
        {
            // A bug must cost one call, not the server.
            error = RemoteError.Internal(call.Domain, e.Message);
        }
        if (!call.Replied) SendError(call.Header, error);
    }

    public void SendError(PacketHeader call, RemoteError error)
    {
        var w = new XdrWriter();
        error.Encode(w);
        Send(new Packet(call.Answer(MessageType.Reply, MessageStatus.Error), w.WrittenMemory));
    }

    /// <summary>
    /// Queues one packet to be written whole. Replies never wait; download data (STREAM or STREAM_HOLE with CONTINUE)
    /// waits while <see cref="ServeLimits.StreamWindowBytes"/> of it are queued, so a transfer goes at the client's pace.
    /// A packet for a client that is going is dropped.
    /// </summary>
    public void Send(Packet packet) => SendEncoded(packet.Header, packet.Encode());

    /// <summary><see cref="Send(Packet)"/> of a packet already encoded (<see cref="Packet.Encode(PacketHeader, ReadOnlySpan{byte})"/>) with that header.</summary>
    public void SendEncoded(PacketHeader h, byte[] bytes)
    {
        bool streamData = h.Type is MessageType.Stream or MessageType.StreamHole && h.Status == MessageStatus.Continue;
        try
        {
            if (streamData)
                _out.WaitBelowAsync(OutboundKind.StreamData, Limits.StreamWindowBytes, _closing.Token).GetAwaiter().GetResult();
            if (!_closing.IsCancellationRequested)
                _out.Enqueue(bytes, streamData ? OutboundKind.StreamData : OutboundKind.Reply);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException) { }
    }

    /// <summary>
    /// Queues an event; never waits. A client with <see cref="ServeLimits.MaxQueuedEventBytes"/> of events already
    /// waiting is disconnected instead: it is not reading, and its events must not grow the server without bound.
    /// </summary>
    public void SendEvent(Packet packet)
    {
        var bytes = packet.Encode();
        try
        {
            if (_closing.IsCancellationRequested) return;
            if (_out.Queued(OutboundKind.Event) + bytes.Length > Limits.MaxQueuedEventBytes)
            {
                _closing.Cancel();
                return;
            }
            _out.Enqueue(bytes, OutboundKind.Event);
        }
        catch (ObjectDisposedException) { }
    }

    /// <summary>Pings a client that asked for keepalive after each idle interval; drops it after too many silent ones (§5).</summary>
    private async Task KeepaliveLoopAsync()
    {
        var options = Server.Options;
        long intervalMs = (long)options.KeepaliveInterval.TotalMilliseconds;
        long waitMs = intervalMs;
        try
        {
            while (!_closing.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(waitMs), _closing.Token).ConfigureAwait(false);
                waitMs = intervalMs;
                if (!KeepaliveRequested) continue;
                long idle = Environment.TickCount64 - Interlocked.Read(ref _lastReceivedTicks);
                if (idle < intervalMs)
                {
                    // Not silent a whole interval yet: look again when it will have been, so the ping goes out after
                    // one interval of silence, as libvirtd's does (not up to two: a packet just after a look once
                    // postponed the ping by a whole interval, past what clients and the replay test expect).
                    waitMs = intervalMs - idle;
                    continue;
                }
                if (Interlocked.Increment(ref _unansweredPings) > options.KeepaliveCount)
                {
                    _closing.Cancel();
                    return;
                }
                Send(new Packet(new PacketHeader(Programs.Keepalive, Programs.Version, Programs.KeepalivePing, MessageType.Message, 0, MessageStatus.Ok), ReadOnlyMemory<byte>.Empty));
            }
        }
        catch (OperationCanceledException) { }
    }

    public void Dispose()
    {
        _closing.Dispose();
        _stream.Dispose();
        _socket.Dispose();
        _calls.Dispose();
    }
}
