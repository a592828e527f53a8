using KvmStor.Backends;
using KvmStor.Engine;
using KvmStor.Model;

namespace KvmStor.Tests.Engine;

/// <summary>The pool state machine over the real dir backend in a temp directory (no root needed).</summary>
public sealed class PoolLifecycleTests : IDisposable
{
    private readonly TempStateDirectory _dir = new();
    private readonly StorageHost _host;

    public PoolLifecycleTests() => _host = _dir.OpenHost();

    public void Dispose() => _dir.Dispose();

    private string DirPoolXml(string name, string? target = null, string? uuid = null) =>
        $"<pool type='dir'><name>{name}</name>{(uuid is null ? "" : $"<uuid>{uuid}</uuid>")}<target><path>{target ?? _dir.PoolDir(name)}</path></target></pool>";

    private static StorageException Fails(Action action) => Assert.Throws<StorageException>(action);

    [Fact]
    public void Define_build_start_destroy_delete_undefine_follows_libvirt()
    {
        var info = _host.Pools.Define(DirPoolXml("p1"));
        Assert.Equal(PoolState.Inactive, info.State);
        Assert.True(info.Persistent);
        Assert.False(info.Autostart);

        var e = Fails(() => _host.Pools.Start("p1", PoolBuildFlags.None));
        Assert.Equal($"cannot open directory '{_dir.PoolDir("p1")}': No such file or directory", e.Display);

        _host.Pools.Build("p1", PoolBuildFlags.None);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute,
            File.GetUnixFileMode(_dir.PoolDir("p1")));

        _host.Pools.Start("p1", PoolBuildFlags.None);
        var running = _host.Pools.Info("p1");
        Assert.Equal(PoolState.Running, running.State);
        Assert.True(running.Capacity > 0);
        Assert.Equal(running.Capacity, running.Allocation + running.Available);

        Assert.Equal("Requested operation is not valid: storage pool 'p1' is already active",
            Fails(() => _host.Pools.Start("p1", PoolBuildFlags.None)).Display);
        Assert.Equal("Requested operation is not valid: storage pool 'p1' is already active",
            Fails(() => _host.Pools.Build("p1", PoolBuildFlags.None)).Display);
        Assert.Equal("Requested operation is not valid: storage pool 'p1' is still active",
            Fails(() => _host.Pools.Undefine("p1")).Display);
        Assert.Equal("Requested operation is not valid: storage pool 'p1' is still active",
            Fails(() => _host.Pools.Delete("p1")).Display);

        File.WriteAllText(Path.Combine(_dir.PoolDir("p1"), "manual.txt"), "x\n");
        _host.Pools.Destroy("p1");
        Assert.Equal("Requested operation is not valid: storage pool 'p1' is not active",
            Fails(() => _host.Pools.Destroy("p1")).Display);
        Assert.Equal($"failed to remove pool '{_dir.PoolDir("p1")}': Directory not empty",
            Fails(() => _host.Pools.Delete("p1")).Display);

        File.Delete(Path.Combine(_dir.PoolDir("p1"), "manual.txt"));
        _host.Pools.Delete("p1");
        Assert.False(Directory.Exists(_dir.PoolDir("p1")));
        _host.Pools.Undefine("p1");
        Assert.Empty(_host.Pools.List(new PoolListFilter()));
        Assert.Equal("Storage pool not found: no storage pool with matching name 'p1'",
            Fails(() => _host.Pools.Info("p1")).Display);
    }

    [Fact]
    public void Duplicate_names_uuids_and_sources_are_refused_with_libvirts_texts()
    {
        var p1 = _host.Pools.Define(DirPoolXml("p1"));
        Assert.Equal($"operation failed: pool 'p1' already exists with uuid {p1.Uuid}",
            Fails(() => _host.Pools.Define(DirPoolXml("p1", _dir.PoolDir("p1b")))).Display);
        Assert.Equal("operation failed: Storage source conflict with pool: 'p1'",
            Fails(() => _host.Pools.Define(DirPoolXml("p2", _dir.PoolDir("p1")))).Display);
        Assert.Equal($"operation failed: pool 'p1' is already defined with uuid {p1.Uuid}",
            Fails(() => _host.Pools.Define(DirPoolXml("d1", _dir.PoolDir("d1"), p1.Uuid.ToString()))).Display);
        Assert.Equal($"operation failed: pool 'p1' already exists with uuid {p1.Uuid}",
            Fails(() => _host.Pools.Create(DirPoolXml("p1", _dir.PoolDir("other")), PoolBuildFlags.Build)).Display);

        // Same name and uuid: a redefinition, allowed.
        _host.Pools.Define(DirPoolXml("p1", _dir.PoolDir("p1"), p1.Uuid.ToString()));
        Assert.Single(_host.Pools.List(new PoolListFilter()));
    }

    [Fact]
    public void A_partition_of_another_pools_disk_is_a_source_conflict()
    {
        _host.Pools.Define("<pool type='disk'><name>whole</name><source><device path='/dev/loop7'/></source><target><path>/dev</path></target></pool>");
        Assert.Equal("operation failed: Storage source conflict with pool: 'whole'",
            Fails(() => _host.Pools.Define($"<pool type='fs'><name>part</name><source><device path='/dev/loop7p1'/></source><target><path>{_dir.PoolDir("part")}</path></target></pool>")).Display);
        // Another disk's partition is fine.
        _host.Pools.Define($"<pool type='fs'><name>other</name><source><device path='/dev/loop8p1'/></source><target><path>{_dir.PoolDir("other")}</path></target></pool>");
    }

    [Fact]
    public void Transient_pool_vanishes_on_destroy_and_cannot_autostart()
    {
        Assert.Equal($"cannot open directory '{_dir.PoolDir("t1")}': No such file or directory",
            Fails(() => _host.Pools.Create(DirPoolXml("t1"), PoolBuildFlags.None)).Display);
        Assert.Empty(_host.Pools.List(new PoolListFilter()));

        var t1 = _host.Pools.Create(DirPoolXml("t1"), PoolBuildFlags.Build);
        Assert.False(t1.Persistent);
        Assert.Equal(PoolState.Running, t1.State);
        Assert.Equal("internal error: pool has no config file", Fails(() => _host.Pools.SetAutostart("t1", true)).Display);
        Assert.Equal("Requested operation is not valid: pool is already active as 't1'",
            Fails(() => _host.Pools.Create(DirPoolXml("t1", null, t1.Uuid.ToString()), PoolBuildFlags.None)).Display);

        _host.Pools.Destroy("t1");
        Assert.Empty(_host.Pools.List(new PoolListFilter()));
        Assert.True(Directory.Exists(_dir.PoolDir("t1")));
    }

    [Fact]
    public void Redefining_a_running_pool_takes_effect_at_next_start()
    {
        var p = _host.Pools.Define(DirPoolXml("p1"));
        _host.Pools.Start("p1", PoolBuildFlags.Build);
        string newTarget = _dir.PoolDir("p1-new");
        _host.Pools.Define(DirPoolXml("p1", newTarget, p.Uuid.ToString()));

        Assert.Contains($"<path>{_dir.PoolDir("p1")}</path>", _host.Pools.GetXml("p1", inactive: false));
        Assert.Contains($"<path>{newTarget}</path>", _host.Pools.GetXml("p1", inactive: true));

        _host.Pools.Destroy("p1");
        Assert.Contains($"<path>{newTarget}</path>", _host.Pools.GetXml("p1", inactive: false));
    }

    [Fact]
    public void Inactive_dumpxml_of_a_running_pool_without_pending_definition_is_the_live_one()
    {
        _host.Pools.Define(DirPoolXml("p1"));
        _host.Pools.Start("p1", PoolBuildFlags.Build);
        Assert.Equal(_host.Pools.GetXml("p1", inactive: false), _host.Pools.GetXml("p1", inactive: true));
        Assert.Contains("<mode>0711</mode>", _host.Pools.GetXml("p1", inactive: false));
    }

    [Fact]
    public void Overwrite_flags_on_a_dir_pool_fail_as_in_libvirt()
    {
        _host.Pools.Define(DirPoolXml("d1"));
        Assert.Equal("Requested operation is not valid: No source device specified when formatting pool 'd1'",
            Fails(() => _host.Pools.Start("d1", PoolBuildFlags.Build | PoolBuildFlags.Overwrite)).Display);
        Assert.Equal("invalid argument: Options --overwrite and --no-overwrite are mutually exclusive",
            Fails(() => _host.Pools.Build("d1", PoolBuildFlags.Overwrite | PoolBuildFlags.NoOverwrite)).Display);
    }

    [Fact]
    public void Autostart_links_and_list_filters()
    {
        _host.Pools.Define(DirPoolXml("b"));
        _host.Pools.Define(DirPoolXml("A"));
        _host.Pools.Create(DirPoolXml("c"), PoolBuildFlags.Build);
        _host.Pools.SetAutostart("b", true);

        string link = Path.Combine(_dir.Paths.AutostartDirectory, "b.xml");
        Assert.Equal(Path.Combine(_dir.Paths.ConfigDirectory, "b.xml"), new FileInfo(link).LinkTarget);

        Assert.Equal(["A", "b", "c"], _host.Pools.List(new PoolListFilter()).Select(p => p.Name));
        Assert.Equal(["c"], _host.Pools.List(new PoolListFilter { Active = true }).Select(p => p.Name));
        Assert.Equal(["A", "b"], _host.Pools.List(new PoolListFilter { Persistent = true }).Select(p => p.Name));
        Assert.Equal(["b"], _host.Pools.List(new PoolListFilter { Autostart = true }).Select(p => p.Name));
        Assert.Equal(["c"], _host.Pools.List(new PoolListFilter { Persistent = false }).Select(p => p.Name));

        _host.Pools.SetAutostart("b", false);
        Assert.False(File.Exists(link) || new FileInfo(link).LinkTarget is not null);
        Assert.Empty(_host.Pools.List(new PoolListFilter { Autostart = true }));
    }

    [Fact]
    public void Autostart_runs_once_per_boot_and_starts_marked_pools()
    {
        _host.Pools.Define(DirPoolXml("auto1"));
        _host.Pools.Build("auto1", PoolBuildFlags.None);
        _host.Pools.SetAutostart("auto1", true);
        _host.Pools.Define(DirPoolXml("broken"));
        _host.Pools.SetAutostart("broken", true);

        var failures = _host.Pools.RunAutostartOncePerBoot();
        Assert.Equal(PoolState.Running, _host.Pools.Info("auto1").State);
        Assert.Equal("broken", Assert.Single(failures).Pool);

        _host.Pools.Destroy("auto1");
        Assert.Empty(_host.Pools.RunAutostartOncePerBoot()); // same boot: nothing again
        Assert.Equal(PoolState.Inactive, _host.Pools.Info("auto1").State);

        // A marker from another boot means the host restarted: status is rechecked and autostart runs again.
        File.WriteAllText(Path.Combine(_dir.Paths.StateDirectory, "autostarted"), "another-boot\n");
        _host.Pools.RunAutostartOncePerBoot();
        Assert.Equal(PoolState.Running, _host.Pools.Info("auto1").State);
    }

    [Fact]
    public void Config_file_is_written_atomically_with_mode_0600()
    {
        _host.Pools.Define(DirPoolXml("p1"));
        string config = Path.Combine(_dir.Paths.ConfigDirectory, "p1.xml");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(config));
        Assert.StartsWith("<!--\nWARNING: THIS IS AN AUTO-GENERATED FILE.", File.ReadAllText(config));
        Assert.Empty(Directory.GetFiles(_dir.Paths.ConfigDirectory, ".*"));
    }

    [Fact]
    public void Lookup_by_uuid_and_by_36_character_argument()
    {
        var p = _host.Pools.Define(DirPoolXml("p1"));
        Assert.Equal("p1", _host.Lookup.PoolByUuid(p.Uuid.ToString()).Name);
        Assert.Equal("p1", _host.Lookup.PoolByNameOrUuid(p.Uuid.ToString()).Name);
        Assert.Equal("Storage pool not found: no storage pool with matching uuid '00000000-0000-0000-0000-000000000000'",
            Fails(() => _host.Lookup.PoolByUuid("00000000-0000-0000-0000-000000000000")).Display);
    }

    [Fact]
    public void A_build_inside_create_or_start_is_not_a_Created_event()
    {
        // libvirt sends Created for pool-build only; pool-create-as --build gives Started alone (RPC capture 080).
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var received = new List<PoolEvent>();
        var events = _host.Pools.WatchEvents(cancel.Token);
        var follower = Task.Run(() =>
        {
            foreach (var e in events)
            {
                received.Add(e);
                if (received.Count == 5) break;
            }
        });
        _host.Pools.Create(DirPoolXml("t1"), PoolBuildFlags.Build);
        _host.Pools.Destroy("t1");
        _host.Pools.Define(DirPoolXml("d1"));
        _host.Pools.Start("d1", PoolBuildFlags.Build);
        _host.Pools.Destroy("d1");
        follower.Wait(TimeSpan.FromSeconds(10));
        Assert.Equal(
            new (string, PoolLifecycleEvent?)[] { ("t1", PoolLifecycleEvent.Started), ("t1", PoolLifecycleEvent.Stopped),
                ("d1", PoolLifecycleEvent.Defined), ("d1", PoolLifecycleEvent.Started), ("d1", PoolLifecycleEvent.Stopped) },
            received.Select(e => (e.PoolName, e.Lifecycle)));
    }

    [Fact]
    public void Events_reach_a_follower()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var received = new List<PoolEvent>();
        var events = _host.Pools.WatchEvents(cancel.Token);
        var follower = Task.Run(() =>
        {
            foreach (var e in events)
            {
                received.Add(e);
                if (received.Count == 6) break;
            }
        });
        _host.Pools.Define(DirPoolXml("ev"));
        _host.Pools.Build("ev", PoolBuildFlags.None);
        _host.Pools.Start("ev", PoolBuildFlags.None);
        _host.Pools.Refresh("ev");
        _host.Pools.Destroy("ev");
        _host.Pools.Undefine("ev");
        follower.Wait(TimeSpan.FromSeconds(10));
        Assert.Equal(
            new PoolLifecycleEvent?[] { PoolLifecycleEvent.Defined, PoolLifecycleEvent.Created, PoolLifecycleEvent.Started, null, PoolLifecycleEvent.Stopped, PoolLifecycleEvent.Undefined },
            received.Select(e => e.Lifecycle));
        Assert.All(received, e => Assert.Equal("ev", e.PoolName));
    }

    [Fact]
    public void Failed_refresh_stops_the_pool()
    {
        _host.Pools.Define(DirPoolXml("p1"));
        _host.Pools.Start("p1", PoolBuildFlags.Build);
        Directory.Delete(_dir.PoolDir("p1"));
        Assert.Equal($"cannot open directory '{_dir.PoolDir("p1")}': No such file or directory",
            Fails(() => _host.Pools.Refresh("p1")).Display);
        Assert.Equal(PoolState.Inactive, _host.Pools.Info("p1").State);
    }
}
