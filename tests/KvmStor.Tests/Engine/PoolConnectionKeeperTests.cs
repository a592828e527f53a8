using KvmStor.Backends;
using KvmStor.Model;

namespace KvmStor.Tests.Engine;

/// <summary>
/// When the engine tells a backend that keeps connections (rbd) to drop one: the pool stopped (destroy, or a failed
/// refresh), undefined or redefined while stopped, and whenever a secret is defined, given a value or undefined.
/// </summary>
public sealed class PoolConnectionKeeperTests : IDisposable
{
    private sealed class KeepingBackend : IPoolBackend, IPoolConnectionKeeper
    {
        public PoolType Type => PoolType.Rbd;
        public List<string> Forgotten { get; } = [];
        public int SecretChanges { get; private set; }
        public bool FailRefresh { get; set; }

        public PoolRefreshResult Refresh(PoolDefinition pool) =>
            FailRefresh ? throw StorageException.System("failed to connect to the RADOS monitor on: 127.0.0.1:6789,", 110) : new();

        public void ForgetConnection(PoolDefinition pool) => Forgotten.Add($"{pool.Name}:{pool.Source.Name}");
        public void ForgetConnections(Guid poolUuid) => Forgotten.Add($"uuid {poolUuid}");
        public void SecretsChanged() => SecretChanges++;
    }

    private readonly TempStateDirectory _dir = new();
    private readonly KeepingBackend _backend = new();
    private readonly KvmStor.Engine.StorageHost _host;

    public PoolConnectionKeeperTests()
    {
        var registry = new BackendRegistry();
        registry.Register(_backend);
        _host = _dir.OpenHost(registry);
    }

    public void Dispose()
    {
        _host.Dispose();
        _dir.Dispose();
    }

    private static string PoolXml(string cephPool) =>
        $"<pool type='rbd'><name>ceph</name><uuid>5f1b6a3e-2c4d-4e5f-8a9b-0c1d2e3f4a5b</uuid><source><host name='127.0.0.1' port='6789'/>"
        + $"<name>{cephPool}</name></source></pool>";

    [Fact]
    public void Destroy_and_undefine_forget_the_pools_connection()
    {
        _host.Pools.Define(PoolXml("rbd"));
        _host.Pools.Start("ceph", PoolBuildFlags.None);
        Assert.Empty(_backend.Forgotten);
        _host.Pools.Destroy("ceph");
        Assert.Equal(["ceph:rbd"], _backend.Forgotten);
        _host.Pools.Undefine("ceph");
        Assert.Equal(["ceph:rbd", "ceph:rbd"], _backend.Forgotten);
    }

    [Fact]
    public void Redefining_a_stopped_pool_forgets_the_old_definitions_connection_a_running_one_keeps_it()
    {
        _host.Pools.Define(PoolXml("rbd"));
        _host.Pools.Define(PoolXml("other"));
        Assert.Equal(["ceph:rbd"], _backend.Forgotten);

        _host.Pools.Start("ceph", PoolBuildFlags.None);
        _host.Pools.Define(PoolXml("third"));                // applies at the next start; the live pool still uses "other"
        Assert.Equal(["ceph:rbd"], _backend.Forgotten);
        _host.Pools.Destroy("ceph");
        Assert.Equal(["ceph:rbd", "ceph:other"], _backend.Forgotten);
    }

    [Fact]
    public void A_refresh_that_fails_stops_the_pool_and_forgets_its_connection()
    {
        _host.Pools.Define(PoolXml("rbd"));
        _host.Pools.Start("ceph", PoolBuildFlags.None);
        _backend.FailRefresh = true;
        Assert.Throws<StorageException>(() => _host.Pools.Refresh("ceph"));
        Assert.Equal(["ceph:rbd"], _backend.Forgotten);
        Assert.False(_host.Pools.Info("ceph").Active);
    }

    [Fact]
    public void A_pool_another_process_stopped_or_undefined_is_forgotten_when_its_event_is_read_unless_it_runs_again()
    {
        const string Uuid = "5f1b6a3e-2c4d-4e5f-8a9b-0c1d2e3f4a5b";
        var stopped = new PoolEvent("ceph", Guid.Parse(Uuid), PoolLifecycleEvent.Stopped, DateTimeOffset.UtcNow);
        _host.Pools.Define(PoolXml("rbd"));
        _host.Pools.ReleaseConnectionsAfter(stopped);
        Assert.Equal([$"uuid {Uuid}"], _backend.Forgotten);

        _host.Pools.Start("ceph", PoolBuildFlags.None);      // started again before the event was read: kept
        _host.Pools.ReleaseConnectionsAfter(stopped);
        Assert.Equal([$"uuid {Uuid}"], _backend.Forgotten);

        _backend.Forgotten.Clear();
        foreach (var lifecycle in new PoolLifecycleEvent?[] { PoolLifecycleEvent.Started, PoolLifecycleEvent.Defined, PoolLifecycleEvent.Created, null })
            _host.Pools.ReleaseConnectionsAfter(stopped with { Lifecycle = lifecycle });
        Assert.Empty(_backend.Forgotten);
        _host.Pools.Destroy("ceph");
        _backend.Forgotten.Clear();
        _host.Pools.ReleaseConnectionsAfter(stopped with { Lifecycle = PoolLifecycleEvent.Undefined, PoolName = "gone" });
        Assert.Equal([$"uuid {Uuid}"], _backend.Forgotten);
    }

    [Fact]
    public void Every_change_of_a_secret_is_told_to_the_backends()
    {
        const string Uuid = "0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f";
        _host.Secrets.Define($"<secret private='yes'><uuid>{Uuid}</uuid><usage type='ceph'><name>client.admin</name></usage></secret>");
        Assert.Equal(1, _backend.SecretChanges);
        _host.Secrets.SetValue(Uuid, "key"u8.ToArray());
        Assert.Equal(2, _backend.SecretChanges);
        _host.Secrets.GetXml(Uuid);
        _host.Secrets.List();
        Assert.Equal(2, _backend.SecretChanges);            // reading changes nothing
        _host.Secrets.Undefine(Uuid);
        Assert.Equal(3, _backend.SecretChanges);
    }
}
