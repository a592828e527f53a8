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

    private string RecordFile => Path.Combine(_dir, "volume-formats", _pool.Uuid.ToString("D") + ".formats");

    private static ulong InodeOf(string path) => KvmStor.Host.FileSystem.Stat(path).Inode;

    [Fact]
    public void A_new_record_is_appended_and_a_removal_rewrites_the_file()
    {
        var store = Store;
        store.Update(_pool, [new RecordChange("a", RecordChangeKind.Set, new RecordedFormat(1, "raw"))]);
        ulong inode = InodeOf(RecordFile);
        store.Update(_pool, [new RecordChange("b", RecordChangeKind.Set, new RecordedFormat(2, "qcow2"))]);
        store.Update(_pool, [new RecordChange("a", RecordChangeKind.Set, new RecordedFormat(3, "iso"))]);
        Assert.Equal(inode, InodeOf(RecordFile)); // the same file, grown
        Assert.Equal(["1 0 raw a", "2 0 qcow2 b", "3 0 iso a", ""], File.ReadAllText(RecordFile).Split('\n'));
        Assert.Equal(new RecordedFormat(3, "iso"), Store.Read(_pool)["a"]); // a later line wins

        store.Update(_pool, [new RecordChange("b", RecordChangeKind.Remove)]);
        Assert.NotEqual(inode, InodeOf(RecordFile)); // replaced by a rewritten file
        Assert.Equal("3 0 iso a\n", File.ReadAllText(RecordFile));
    }

    [Fact]
    public void Superseded_lines_are_dropped_once_they_outnumber_the_records()
    {
        var store = Store;
        for (ulong i = 1; i <= 500; i++)
            store.Update(_pool, [new RecordChange("wiped", RecordChangeKind.Set, new RecordedFormat(i, "qcow2"))]);
        Assert.InRange(File.ReadAllLines(RecordFile).Length, 1, 2 * 1 + 64 + 1);
        Assert.Equal(new RecordedFormat(500, "qcow2"), Store.Read(_pool)["wiped"]);
    }

    [Fact]
    public void A_cached_read_sees_every_change_another_writer_makes()
    {
        var reader = Store; // keeps its parsed copy (and the file open) between reads
        var writer = Store; // another process as far as the cache can tell: its own store, its own cache
        writer.Update(_pool, [new RecordChange("a", RecordChangeKind.Set, new RecordedFormat(1, "raw"))]);
        Assert.Equal("raw", reader.Read(_pool)["a"].Format);

        writer.Update(_pool, [new RecordChange("b", RecordChangeKind.Set, new RecordedFormat(2, "qcow2"))]); // appended
        Assert.Equal(2, reader.Read(_pool).Count);

        // A rewrite to a file of the very same size, within the same clock tick: only the identity tells it apart.
        long size = new FileInfo(RecordFile).Length;
        writer.Update(_pool, [new RecordChange("b", RecordChangeKind.Remove), new RecordChange("b", RecordChangeKind.Set, new RecordedFormat(2, "cloop"))]);
        Assert.Equal(size, new FileInfo(RecordFile).Length);
        Assert.Equal("cloop", reader.Read(_pool)["b"].Format);

        writer.Drop(_pool);
        Assert.Empty(reader.Read(_pool));
        writer.Update(_pool, [new RecordChange("c", RecordChangeKind.Set, new RecordedFormat(3, "raw"))]);
        Assert.Equal(["c"], reader.Read(_pool).Keys);
    }

    [Fact]
    public void A_cached_read_sees_a_line_appended_by_another_process()
    {
        var reader = Store;
        reader.Update(_pool, [new RecordChange("a", RecordChangeKind.Set, new RecordedFormat(1, "raw"))]);
        Assert.Single(reader.Read(_pool));
        using (var sh = System.Diagnostics.Process.Start("/bin/sh", ["-c", "printf '7 0 qcow2 from sh\\n' >> \"$0\"", RecordFile])!)
        {
            sh.WaitForExit();
            Assert.Equal(0, sh.ExitCode);
        }
        Assert.Equal(new RecordedFormat(7, "qcow2"), reader.Read(_pool)["from sh"]);
    }

    [Fact]
    public void A_torn_last_line_is_never_a_record_and_the_next_change_rewrites_without_it()
    {
        var store = Store;
        store.Update(_pool, [new RecordChange("my-volume", RecordChangeKind.Set, new RecordedFormat(4, "qcow2"))]);
        Assert.Equal(4UL, store.Read(_pool)["my-volume"].Inode);
        // A crash in the middle of appending "5 0 raw my-volume-2\n": its prefix names "my-vol", which must not count.
        File.AppendAllText(RecordFile, "5 0 raw my-vol");
        Assert.Equal(["my-volume"], store.Read(_pool).Keys);
        Assert.Equal(["my-volume"], Store.Read(_pool).Keys);

        store.Update(_pool, [new RecordChange("other", RecordChangeKind.Set, new RecordedFormat(6, "raw"))]);
        Assert.Equal("4 0 qcow2 my-volume\n6 0 raw other\n", File.ReadAllText(RecordFile));
        Assert.Equal(2, Store.Read(_pool).Count);
    }

    [Fact]
    public void A_line_being_appended_is_read_once_it_is_complete()
    {
        var reader = Store;
        Store.Update(_pool, [new RecordChange("a", RecordChangeKind.Set, new RecordedFormat(1, "raw"))]);
        Assert.Single(reader.Read(_pool));
        File.AppendAllText(RecordFile, "2 0 qcow2 b"); // a writer's line, half written
        Assert.Single(reader.Read(_pool));
        File.AppendAllText(RecordFile, "ee\n");
        Assert.Equal(new RecordedFormat(2, "qcow2"), reader.Read(_pool)["bee"]);
        Assert.False(reader.Read(_pool).ContainsKey("b"));
    }

    [Fact]
    public void Concurrent_writers_lose_no_record()
    {
        Parallel.For(0, 200, i =>
            Store.Update(_pool, [new RecordChange($"v{i}", RecordChangeKind.Set, new RecordedFormat((ulong)i, "qcow2"))]));
        Assert.Equal(200, Store.Read(_pool).Count);
    }

    [Fact]
    public void Concurrent_readers_and_writers_of_one_store_see_whole_records()
    {
        var store = Store;
        Parallel.For(0, 200, i =>
        {
            store.Update(_pool, [new RecordChange($"v{i}", RecordChangeKind.Set, new RecordedFormat((ulong)i, "qcow2"))]);
            var seen = store.Read(_pool);
            Assert.Equal(new RecordedFormat((ulong)i, "qcow2"), seen[$"v{i}"]);
        });
        Assert.Equal(200, store.Read(_pool).Count);
    }
}
