using System.Collections.Concurrent;
using System.Net.Sockets;
using KvmStor.Server.Dispatch;
using KvmStor.Server.Protocol;
using KvmStor.Server.Streams;
using KvmStor.Server.Xdr;

namespace KvmStor.Server.Transport;

/// <summary>
/// One client: a read loop that cuts packets, answers keepalive and protocol errors itself, runs connection calls in
/// order and every other call beside it (at most <see cref="ServeOptions.MaxCallsPerClient"/> at once, replies in
/// whatever order they finish: serials match them), routes stream packets to their transfer, and one write lock so a
/// packet always goes out whole.
/// </summary>
public sealed class ClientConnection : IDisposable
{
    private const int AuthList = 66;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly SemaphoreSlim _calls;
    private readonly CancellationTokenSource _closing = new();
    private readonly ConcurrentDictionary<uint, IServerStream> _streams = new();
    private readonly ConcurrentDictionary<Task, byte> _running = new();
    private long _lastReceivedTicks = Environment.TickCount64;
    private int _unansweredPings;
    private volatile bool _closeRequested;

    public ClientConnection(Socket socket, ServerState server, bool readOnlySocket, PeerCredentials peer)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
        Server = server;
        ReadOnlySocket = readOnlySocket;
        ReadOnly = readOnlySocket;
        Peer = peer;
        _calls = new SemaphoreSlim(server.Options.MaxCallsPerClient);
    }

    public ServerState Server { get; }
    public PeerCredentials Peer { get; }
    public bool ReadOnlySocket { get; }

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
        var keepalive = KeepaliveLoopAsync();
        try
        {
            while (!_closeRequested && !_closing.IsCancellationRequested)
            {
                var packet = await PacketReader.ReadAsync(_stream, _closing.Token).ConfigureAwait(false);
                if (packet is null) break;
                Interlocked.Exchange(ref _lastReceivedTicks, Environment.TickCount64);
                Interlocked.Exchange(ref _unansweredPings, 0);
                await HandleAsync(packet).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is FramingException or IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // A bad length word or a vanished client: the connection ends without a reply (§1.6).
        }
        finally
        {
            await ShutdownAsync(keepalive).ConfigureAwait(false);
        }
    }

    private async Task ShutdownAsync(Task keepalive)
    {
        _closing.Cancel();
        Server.Events.Unsubscribe(this);
        foreach (var stream in _streams.Values) stream.Abort();
        try { _socket.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
        // Running calls see the cancellation; wait for them so their locks are released before the connection is gone.
        try { await Task.WhenAll(_running.Keys.Append(keepalive)).ConfigureAwait(false); } catch { }
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
        await _calls.WaitAsync(_closing.Token).ConfigureAwait(false);
        var task = Task.Run(() =>
        {
            try { Execute(call); }
            finally { _calls.Release(); }
        });
        _running.TryAdd(task, 0);
        _ = task.ContinueWith(t => _running.TryRemove(t, out _), TaskScheduler.Default);
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

    /// <summary>Writes one packet whole; a client that went away is noticed by the read loop.</summary>
    public void Send(Packet packet)
    {
        var bytes = packet.Encode();
        try
        {
            _writeLock.Wait(_closing.Token);
        }
        catch (OperationCanceledException) { return; }
        try
        {
            _stream.Write(bytes);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            _closing.Cancel();
        }
        finally { _writeLock.Release(); }
    }

    /// <summary>Pings a client that asked for keepalive after each idle interval; drops it after too many silent ones (§5).</summary>
    private async Task KeepaliveLoopAsync()
    {
        var options = Server.Options;
        try
        {
            while (!_closing.IsCancellationRequested)
            {
                await Task.Delay(options.KeepaliveInterval, _closing.Token).ConfigureAwait(false);
                if (!KeepaliveRequested) continue;
                long idle = Environment.TickCount64 - Interlocked.Read(ref _lastReceivedTicks);
                if (idle < options.KeepaliveInterval.TotalMilliseconds) continue;
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
        _writeLock.Dispose();
        _calls.Dispose();
    }
}
