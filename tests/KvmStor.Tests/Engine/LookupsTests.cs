using KvmStor.Backends;
using KvmStor.Engine;
using KvmStor.Model;
using KvmStor.Tests.Guests;

namespace KvmStor.Tests.Engine;

/// <summary>The engine's lookup service over real dir pools: libvirt's lookups, and virsh's rules for an argument.</summary>
public sealed class LookupsTests : IDisposable
{
    private const string Uuid1 = "11111111-2222-3333-4444-555555555555";
    private readonly TempStateDirectory _dir = new();
    private readonly StorageHost _host;

    public LookupsTests()
    {
        _host = _dir.OpenHost();
        foreach (var (name, uuid) in new[] { ("p1", Uuid1), ("p2", (string?)null) })
        {
            _host.Pools.Define($"<pool type='dir'><name>{name}</name>{(uuid is null ? "" : $"<uuid>{uuid}</uuid>")}<target><path>{_dir.PoolDir(name)}</path></target></pool>");
            _host.Pools.Build(name, PoolBuildFlags.None);
            _host.Pools.Start(name, PoolBuildFlags.None);
        }
        _host.Volumes.Create("p1", "<volume><name>a.img</name><capacity>1024</capacity></volume>", VolumeCreateFlags.None);
        _host.Volumes.Create("p2", "<volume><name>b.img</name><capacity>1024</capacity></volume>", VolumeCreateFlags.None);
    }

    public void Dispose()
    {
        _host.Dispose();
        _dir.Dispose();
    }

    private Lookups Lookup => _host.Lookup;

    private string PathIn(string pool, string volume) => Path.Combine(_dir.PoolDir(pool), volume);

    private static string Fails(Action action) => Assert.ThrowsAny<StorageException>(action).Display;

    [Fact]
    public void Pools_are_found_by_name_uuid_volume_and_target_path()
    {
        Assert.Equal("p1", Lookup.PoolByName("p1").Name);
        Assert.Equal("p1", Lookup.PoolByUuid(Uuid1).Name);
        Assert.Equal("p1", Lookup.PoolByNameOrUuid(Uuid1).Name);
        Assert.Equal("p2", Lookup.PoolOfVolume(Lookup.VolumeByName("p2", "b.img")).Name);
        Assert.Equal("p2", Lookup.PoolByTargetPath(_dir.PoolDir("p2") + "//").Name);

        Assert.Equal("Storage pool not found: no storage pool with matching name 'nope'", Fails(() => Lookup.PoolByName("nope")));
        Assert.Equal("Storage pool not found: no storage pool with matching uuid 'nope'", Fails(() => Lookup.PoolByUuid("nope")));
        Assert.Equal("Storage pool not found: no storage pool with matching target path '/nope'", Fails(() => Lookup.PoolByTargetPath("/nope")));
    }

    [Fact]
    public void A_uuid_lookup_with_the_handles_name_gives_the_uuids_pool_whatever_the_name_says()
    {
        Assert.Equal("p1", Lookup.PoolByUuid(Uuid1, "p1").Name);
        Assert.Equal("p1", Lookup.PoolByUuid(Uuid1, "p2").Name);     // the name now belongs to another pool
        Assert.Equal("p1", Lookup.PoolByUuid(Uuid1, "gone").Name);   // no pool of that name any more
        Assert.Equal("p1", Lookup.PoolByUuid(Uuid1, "../p1").Name);  // a name is never a path
        Assert.Equal("Storage pool not found: no storage pool with matching uuid '00000000-0000-0000-0000-000000000001'",
            Fails(() => Lookup.PoolByUuid("00000000-0000-0000-0000-000000000001", "p1")));
    }

    [Fact]
    public void A_stopped_pool_has_no_target_path_lookup()
    {
        _host.Pools.Destroy("p2");
        Assert.Equal($"Storage pool not found: no storage pool with matching target path '{_dir.PoolDir("p2")}'",
            Fails(() => Lookup.PoolByTargetPath(_dir.PoolDir("p2"))));
    }

    [Fact]
    public void Volumes_are_found_by_name_key_and_path_with_libvirts_errors()
    {
        Assert.Equal("a.img", Lookup.VolumeByName("p1", "a.img").Name);
        Assert.Equal("a.img", Lookup.VolumeByKey(PathIn("p1", "a.img")).Name);
        Assert.Equal("b.img", Lookup.VolumeByPath(PathIn("p2", "b.img")).Name);
        Assert.Equal("b.img", Lookup.VolumeByKeyOrPath(_dir.PoolDir("p2") + "/../p2/b.img").Name);

        Assert.Equal("Storage volume not found: no storage vol with matching name 'b.img'", Fails(() => Lookup.VolumeByName("p1", "b.img")));
        Assert.Equal("Storage volume not found: no storage vol with matching key b.img", Fails(() => Lookup.VolumeByKey("b.img")));
        Assert.Equal("Storage volume not found: no storage vol with matching path '/nope'", Fails(() => Lookup.VolumeByPath("/nope")));
    }

    [Fact]
    public void A_key_lookup_does_not_match_a_path_that_is_not_the_key()
    {
        // Keys are canonical paths; a non-canonical spelling of the path is a path, not a key (virStorageVolLookupByKey).
        string spelled = _dir.PoolDir("p2") + "/../p2/b.img";
        Assert.Equal("b.img", Lookup.VolumeByPath(spelled).Name);
        Assert.Equal($"Storage volume not found: no storage vol with matching key {spelled}", Fails(() => Lookup.VolumeByKey(spelled)));
    }

    [Fact]
    public void A_pool_argument_fails_with_virshs_line_then_the_reason()
    {
        Assert.Equal("p1", Lookup.PoolArgument(Uuid1).Name);
        var e = Assert.Throws<LookupFailedException>(() => Lookup.PoolArgument("nope"));
        Assert.Equal("failed to get pool 'nope'", e.Display);
        Assert.Equal("Storage pool not found: no storage pool with matching name 'nope'", e.Reason!.Display);

        // By UUID only, a word that cannot be a UUID is not even looked up.
        var byUuid = Assert.Throws<LookupFailedException>(() => Lookup.PoolArgument("p1", PoolLookupBy.Uuid));
        Assert.Equal("failed to get pool 'p1'", byUuid.Message);
        Assert.Null(byUuid.Reason);
    }

    [Fact]
    public void A_volume_argument_is_a_name_in_the_pool_then_a_key_then_a_path()
    {
        Assert.Equal("a.img", Lookup.VolumeArgument("a.img", "p1").Name);
        Assert.Equal("b.img", Lookup.VolumeArgument(PathIn("p2", "b.img"), null).Name);

        var hint = Assert.Throws<LookupFailedException>(() => Lookup.VolumeArgument("a.img", null));
        Assert.Equal("failed to get vol 'a.img', specifying --pool might help", hint.Message);
        Assert.Equal("Storage volume not found: no storage vol with matching path 'a.img'", hint.Reason!.Display);
        Assert.Equal("failed to get vol 'a.img'", Assert.Throws<LookupFailedException>(() => Lookup.VolumeArgument("a.img", null, poolOption: null)).Message);

        var elsewhere = Assert.Throws<LookupFailedException>(() => Lookup.VolumeArgument(PathIn("p2", "b.img"), "p1"));
        Assert.Equal($"Requested volume '{PathIn("p2", "b.img")}' is not in pool 'p1'", elsewhere.Message);
        Assert.Null(elsewhere.Reason);

        _host.Pools.Destroy("p2");
        Assert.Equal("pool 'p2' is not active", Assert.Throws<LookupFailedException>(() => Lookup.VolumeArgument("b.img", "p2")).Message);
        Assert.Equal("failed to get pool 'p3'", Assert.Throws<LookupFailedException>(() => Lookup.VolumeArgument("b.img", "p3")).Message);
    }

    [Fact]
    public void A_backing_volume_is_a_name_in_the_new_volumes_pool_then_a_key_or_path()
    {
        Assert.Equal("a.img", Lookup.BackingVolumeArgument("p1", "a.img").Name);
        Assert.Equal("b.img", Lookup.BackingVolumeArgument("p1", PathIn("p2", "b.img")).Name);
        var e = Assert.Throws<LookupFailedException>(() => Lookup.BackingVolumeArgument("p1", "b.img"));
        Assert.Equal("failed to get vol 'b.img'", e.Message);
        Assert.Equal("Storage volume not found: no storage vol with matching path 'b.img'", e.Reason!.Display);
    }

    [Fact]
    public void Guests_are_found_by_name_or_uuid()
    {
        var defined = _host.Guests.Define(GuestSamples.Minimal);
        Assert.Equal("mini", Lookup.Guest("mini").Name);
        Assert.Equal("mini", Lookup.Guest(defined.Uuid.ToString()).Name);
        Assert.Equal("Domain not found: no domain with matching name 'nope'", Fails(() => Lookup.Guest("nope")));
        var e = Assert.Throws<LookupFailedException>(() => Lookup.GuestArgument("nope"));
        Assert.Equal("failed to get domain 'nope'", e.Display);
        Assert.Null(e.Reason);
    }
}
