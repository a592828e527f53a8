using KvmStor.Backends;
using KvmStor.Model;
using KvmStor.State;

namespace KvmStor.Tests.State;

public sealed class VolumeFormatStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kvmstor-formats-").FullName;
    private readonly PoolDefinition _pool = new() { Type = PoolType.Dir, Name = "p", Uuid = Guid.NewGuid() };

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private VolumeFormatStore Store => new(Path.Combine(_dir, "volume-formats"));

    [Fact]
    public void Records_survive_a_new_store_and_names_may_hold_spaces()
    {
        Store.Update(_pool, [new RecordChange("my disk.img", RecordChangeKind.Set, new RecordedFormat(12, "raw"))]);
        Assert.Equal(new RecordedFormat(12, "raw"), Store.Read(_pool)["my disk.img"]);
        Assert.Empty(Store.Read(_pool with { Uuid = Guid.NewGuid() })); // another pool's records are its own
    }

    [Fact]
    public void A_first_sight_never_overwrites_a_record_of_the_same_file()
    {
        Store.Update(_pool, [new RecordChange("a", RecordChangeKind.Set, new RecordedFormat(5, "iso"))]);
        Store.Update(_pool, [new RecordChange("a", RecordChangeKind.FirstSight, new RecordedFormat(5, "raw"))]);
        Assert.Equal("iso", Store.Read(_pool)["a"].Format);
        // A different inode under the name is a different file.
        Store.Update(_pool, [new RecordChange("a", RecordChangeKind.FirstSight, new RecordedFormat(6, "qcow2"))]);
        Assert.Equal(new RecordedFormat(6, "qcow2"), Store.Read(_pool)["a"]);
    }

    [Fact]
    public void A_reused_inode_with_another_birth_time_is_another_file()
    {
        Store.Update(_pool, [new RecordChange("c", RecordChangeKind.Set, new RecordedFormat(9, "raw", Born: 111))]);
        Store.Update(_pool, [new RecordChange("c", RecordChangeKind.FirstSight, new RecordedFormat(9, "qcow2", Born: 111))]);
        Assert.Equal("raw", Store.Read(_pool)["c"].Format);
        Store.Update(_pool, [new RecordChange("c", RecordChangeKind.FirstSight, new RecordedFormat(9, "qcow2", Born: 222))]);
        Assert.Equal(new RecordedFormat(9, "qcow2", 222), Store.Read(_pool)["c"]);
    }

    [Fact]
    public void A_prune_removes_only_the_record_the_listing_read()
    {
        var seen = new RecordedFormat(7, "raw");
        Store.Update(_pool, [new RecordChange("b", RecordChangeKind.Set, seen)]);
        // Meanwhile the volume was deleted and made again by another command.
        Store.Update(_pool, [new RecordChange("b", RecordChangeKind.Set, new RecordedFormat(8, "raw"))]);
        Store.Update(_pool, [new RecordChange("b", RecordChangeKind.Prune, seen)]);
        Assert.Equal(8UL, Store.Read(_pool)["b"].Inode);
        Store.Update(_pool, [new RecordChange("b", RecordChangeKind.Prune, new RecordedFormat(8, "raw"))]);
        Assert.Empty(Store.Read(_pool));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(_dir, "volume-formats"))); // no empty file, no lock file
    }

    [Fact]
    public void Concurrent_writers_lose_no_record()
    {
        Parallel.For(0, 200, i =>
            Store.Update(_pool, [new RecordChange($"v{i}", RecordChangeKind.Set, new RecordedFormat((ulong)i, "qcow2"))]));
        Assert.Equal(200, Store.Read(_pool).Count);
    }
}
