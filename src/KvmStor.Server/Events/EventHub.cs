using KvmStor.Engine;
using KvmStor.Model;
using KvmStor.Server.Protocol;
using KvmStor.Server.Transport;
using KvmStor.Server.Xdr;

namespace KvmStor.Server.Events;

/// <summary>Which registration procedure made a subscription.</summary>
/// <remarks>Domain, network and node-device subscriptions are kept (and removed) like the others; kvmstor changes none of those objects, so they receive nothing.</remarks>
public enum EventFamily { Pool, Secret, Domain, Network, NodeDevice }

/// <summary>
/// The server's event subscribers (§7). Pool and secret events come from the engine's event logs, so operations of
/// CLI processes reach them as well as the server's own (which the server's procedures make through the same engine).
/// Callback ids are server-wide, increasing and never reused, as libvirtd's.
/// </summary>
public sealed class EventHub(StorageHost host) : IDisposable
{
    public const int PoolLifecycle = 0, PoolRefresh = 1;
    public const int SecretLifecycle = 0, SecretValueChanged = 1;

    private const int ProcPoolLifecycle = 370, ProcPoolRefresh = 373, ProcSecretLifecycle = 382, ProcSecretValueChanged = 383;

    private sealed record Subscription(ClientConnection Connection, EventFamily Family, int EventId, Guid? Object, int CallbackId, DateTimeOffset Since);

    private readonly object _gate = new();
    private readonly List<Subscription> _subscriptions = [];
    private readonly CancellationTokenSource _stop = new();
    private int _lastCallbackId = -1;
    private readonly List<Thread> _followers = [];

    /// <summary>Starts following the engine's event logs (from now on).</summary>
    public void Start()
    {
        Follow(host.Pools.WatchEvents(_stop.Token), e =>
        {
            host.Pools.ReleaseConnectionsAfter(e); // a pool a CLI process stopped: its kept connection is closed here too
            PublishPool(e);
        }, "kvmstor-pool-events");
        Follow(host.Secrets.WatchEvents(_stop.Token), PublishSecret, "kvmstor-secret-events");
    }

    private void Follow<T>(IEnumerable<T> events, Action<T> publish, string name)
    {
        var follower = new Thread(() =>
        {
            try
            {
                foreach (var e in events) publish(e);
            }
            catch (OperationCanceledException) { }
        }) { IsBackground = true, Name = name };
        _followers.Add(follower);
        follower.Start();
    }

    public int Subscribe(ClientConnection connection, EventFamily family, int eventId, Guid? objectUuid)
    {
        lock (_gate)
        {
            int id = ++_lastCallbackId;
            _subscriptions.Add(new Subscription(connection, family, eventId, objectUuid, id, DateTimeOffset.UtcNow));
            return id;
        }
    }

    public bool Unsubscribe(ClientConnection connection, EventFamily family, int callbackId)
    {
        lock (_gate)
            return _subscriptions.RemoveAll(s => s.Connection == connection && s.Family == family && s.CallbackId == callbackId) > 0;
    }

    public void Unsubscribe(ClientConnection connection)
    {
        lock (_gate) _subscriptions.RemoveAll(s => s.Connection == connection);
    }

    /// <summary>
    /// The subscriptions an event reaches. The log is polled, so an event can be read after a registration made later
    /// than it happened: such a registration does not get it (events are stamped in milliseconds, so compare at that).
    /// </summary>
    private List<Subscription> Matching(EventFamily family, int eventId, Guid uuid, DateTimeOffset time)
    {
        lock (_gate)
            return _subscriptions.Where(s => s.Family == family && s.EventId == eventId && (s.Object is null || s.Object == uuid)
                                             && time.ToUnixTimeMilliseconds() >= s.Since.ToUnixTimeMilliseconds()).ToList();
    }

    public void PublishPool(PoolEvent e)
    {
        int eventId = e.IsRefresh ? PoolRefresh : PoolLifecycle;
        foreach (var s in Matching(EventFamily.Pool, eventId, e.PoolUuid, e.Time))
        {
            var w = new XdrWriter();
            w.WriteInt(s.CallbackId);
            new PoolHandle(e.PoolName, e.PoolUuid).Write(w);
            if (!e.IsRefresh)
            {
                w.WriteInt((int)e.Lifecycle!.Value); // the engine's order is libvirt's: defined, undefined, started, stopped, created, deleted
                w.WriteInt(0);
            }
            Send(s.Connection, e.IsRefresh ? ProcPoolRefresh : ProcPoolLifecycle, w);
        }
    }

    /// <summary>A secret event: lifecycle (0 defined, 1 undefined, detail 0) or value-changed.</summary>
    public void PublishSecret(SecretEvent e)
    {
        int eventId = e.IsValueChanged ? SecretValueChanged : SecretLifecycle;
        var secret = new SecretHandle(e.SecretUuid, (int)e.UsageType, e.UsageId);
        foreach (var s in Matching(EventFamily.Secret, eventId, e.SecretUuid, e.Time))
        {
            var w = new XdrWriter();
            w.WriteInt(s.CallbackId);
            secret.Write(w);
            if (e.Lifecycle is { } l)
            {
                w.WriteInt((int)l); // the model's order is libvirt's: defined, undefined
                w.WriteInt(0);
            }
            Send(s.Connection, e.IsValueChanged ? ProcSecretValueChanged : ProcSecretLifecycle, w);
        }
    }

    /// <summary>
    /// Events go out as MESSAGE packets with serial 1, as libvirtd sends them. Never waits for the client: one that does
    /// not read its events loses its connection rather than stalling every other subscriber (see <see cref="ClientConnection.SendEvent"/>).
    /// </summary>
    private static void Send(ClientConnection connection, int procedure, XdrWriter payload) =>
        connection.SendEvent(new Packet(new PacketHeader(Programs.Remote, Programs.Version, procedure, MessageType.Message, 1, MessageStatus.Ok),
            payload.WrittenMemory.ToArray()));

    public void Dispose()
    {
        _stop.Cancel();
        foreach (var follower in _followers) follower.Join(TimeSpan.FromSeconds(2));
        _stop.Dispose();
    }
}
