using System.Net.Sockets;
using KvmStor.Host;

namespace KvmStor.Server.Transport;

/// <summary>
/// `kvmstor serve`: the read-write socket and its read-only twin, one task per accepted client. Who may connect is
/// decided twice: by the socket's mode (0600, or 0660 with a group) and by the peer's credentials on every accept.
/// </summary>
public sealed class RpcServer : IAsyncDisposable
{
    private readonly ServerState _state;
    private readonly List<Socket> _listeners = [];
    private readonly List<string> _paths = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _acceptLoops = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ClientConnection, Task> _clients = new();

    public RpcServer(ServerState state) => _state = state;

    /// <summary>Binds both sockets (replacing stale socket files, never anything else) and starts accepting.</summary>
    public void Start()
    {
        var options = _state.Options;
        Listen(options.SocketPath, readOnly: false);
        Listen(options.ReadOnlySocketPath, readOnly: true);
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
            if (_state.Options.GroupId is { } gid)
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
            if (!Allowed(peer))
            {
                client.Dispose();
                continue;
            }
            var connection = new ClientConnection(client, _state, readOnly, peer);
            var task = Task.Run(connection.RunAsync);
            _clients[connection] = task;
            _ = task.ContinueWith(_ =>
            {
                _clients.TryRemove(connection, out var _);
                connection.Dispose();
            }, TaskScheduler.Default);
        }
    }

    /// <summary>root, the server's own user, or (with --group) a member of the group.</summary>
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
        foreach (var path in _paths)
            try { File.Delete(path); } catch (IOException) { }
        try { await Task.WhenAll(_acceptLoops).ConfigureAwait(false); } catch { }
        foreach (var client in _clients.Keys)
            try { client.RequestClose(); } catch (ObjectDisposedException) { }
        _stop.Dispose();
    }
}
