using System.Net.Sockets;
using KvmStor.Host;

namespace KvmStor.Server.Transport;

/// <summary>
/// `kvmstor serve`: the read-write sockets and their read-only twins (or the sockets systemd passed), one task per
/// accepted client. Who may connect to the read-write socket is decided twice: by the socket's mode (0600, or 0660
/// with a group) and by the peer's credentials on every accept. The read-only twin is 0666, as libvirtd's: anyone
/// may look, and the connection refuses every call that changes something or reveals data. A client beyond its
/// socket's (or, on the read-only one, its user's) share of <see cref="ServeLimits"/> is closed at once.
/// </summary>
public sealed class RpcServer : IAsyncDisposable
{
    private readonly ServerState _state;
    private readonly List<Socket> _listeners = [];
    private readonly List<string> _paths = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _acceptLoops = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ClientConnection, Task> _clients = new();
    private readonly ClientAdmission _admission;

    private int _clientCount;
    private long _idleSinceTicks = Environment.TickCount64;

    public RpcServer(ServerState state)
    {
        _state = state;
        _admission = new ClientAdmission(state.Options.Limits);
    }

    /// <summary>Where it listens, read-write ones first (for the start-up message).</summary>
    public IReadOnlyList<string> Endpoints { get; private set; } = [];

    /// <summary>How long no client has been connected (zero while one is).</summary>
    public TimeSpan Idle => Volatile.Read(ref _clientCount) > 0
        ? TimeSpan.Zero
        : TimeSpan.FromMilliseconds(Environment.TickCount64 - Interlocked.Read(ref _idleSinceTicks));

    /// <summary>Binds every socket (replacing stale socket files, never anything else), or adopts systemd's, and starts accepting.</summary>
    public void Start()
    {
        var options = _state.Options;
        var endpoints = new List<string>();
        if (options.Inherited.Count > 0)
        {
            foreach (var inherited in options.Inherited.OrderBy(l => l.ReadOnly))
            {
                _listeners.Add(inherited.Socket);
                _acceptLoops.Add(AcceptLoopAsync(inherited.Socket, inherited.ReadOnly));
                endpoints.Add(inherited.Name);
            }
        }
        else
        {
            foreach (var path in options.SocketPaths)
            {
                Listen(path, readOnly: false);
                endpoints.Add(path);
            }
            foreach (var path in options.SocketPaths)
            {
                Listen(path + "-ro", readOnly: true);
                endpoints.Add(path + "-ro");
            }
        }
        Endpoints = endpoints;
        _state.Events.Start();
    }

    private void Listen(string path, bool readOnly)
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(directory))
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        RemoveStaleSocket(path);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(path));
            // Mode and group are set before listen(): until then a connect is refused, so no one slips in meanwhile.
            var mode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            if (readOnly)
                mode |= UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;
            else if (_state.Options.GroupId is { } gid)
            {
                FileSystem.SetOwner(path, uint.MaxValue, gid);
                mode |= UnixFileMode.GroupRead | UnixFileMode.GroupWrite;
            }
            File.SetUnixFileMode(path, mode);
            socket.Listen(128);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        _listeners.Add(socket);
        _paths.Add(path);
        _acceptLoops.Add(AcceptLoopAsync(socket, readOnly));
    }

    /// <summary>A socket file left by a server that died is replaced; a live server's socket or any other file is not.</summary>
    private static void RemoveStaleSocket(string path)
    {
        if (!FileSystem.TryStat(path, followLinks: false, out var status, out _)) return;
        if (status.Kind != FileKind.Socket)
            throw new StorageException(ErrorCode.OperationFailed, $"'{path}' exists and is not a socket");
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            throw new StorageException(ErrorCode.OperationFailed, $"another server is listening on '{path}'");
        }
        catch (SocketException) { File.Delete(path); }
    }

    private async Task AcceptLoopAsync(Socket listener, bool readOnly)
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try { client = await listener.AcceptAsync(_stop.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (SocketException) { continue; }
            PeerCredentials peer;
            try { peer = PeerCredentials.Of(client); }
            catch (SocketException) { client.Dispose(); continue; }
            if (!readOnly && !Allowed(peer))
            {
                client.Dispose();
                continue;
            }
            // Closed without a word when its socket is full: no call has been made that an error could answer, and
            // leaving it in the backlog (as libvirtd does past max_clients) would only make the client hang.
            if (_admission.TryAdmit(readOnly, peer.Uid) is not { } slot)
            {
                client.Dispose();
                continue;
            }
            var connection = new ClientConnection(client, _state, readOnly, peer, slot.CallGates);
            Interlocked.Increment(ref _clientCount);
            var task = Task.Run(connection.RunAsync);
            _clients[connection] = task;
            _ = task.ContinueWith(_ =>
            {
                _clients.TryRemove(connection, out var _);
                connection.Dispose();
                slot.Release();
                // The connection's calls have ended (RunAsync waits for them): idle from now on if it was the last.
                Interlocked.Exchange(ref _idleSinceTicks, Environment.TickCount64);
                Interlocked.Decrement(ref _clientCount);
            }, TaskScheduler.Default);
        }
    }

    /// <summary>
    /// The read-write socket's peer check (SO_PEERCRED, taken by the kernel at connect, not claimed by the client):
    /// root, the server's own user, or (with --group) a process whose primary or supplementary group is the group.
    /// The read-only twin lets anyone in: its connections are read-only whoever the peer is.
    /// </summary>
    private bool Allowed(PeerCredentials peer)
    {
        if (peer.Uid == 0 || peer.Uid == AccountNames.EffectiveUserId) return true;
        if (_state.Options.GroupId is not { } gid) return false;
        return peer.Gid == gid || peer.SupplementaryGroups().Contains(gid);
    }

    /// <summary>Stops accepting, ends every client, removes the socket files.</summary>
    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        foreach (var listener in _listeners) listener.Dispose();
        // Only the files this server bound: systemd's sockets stay for the next activation.
        foreach (var path in _paths)
            try { File.Delete(path); } catch (IOException) { }
        try { await Task.WhenAll(_acceptLoops).ConfigureAwait(false); } catch { }
        foreach (var client in _clients.Keys)
            try { client.RequestClose(); } catch (ObjectDisposedException) { }
        _stop.Dispose();
    }
}
