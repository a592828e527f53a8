using System.Diagnostics;
using KvmStor.State;

namespace KvmStor.Tests.State;

/// <summary>The cache of parsed state files must never answer with a file's old content once it changed.</summary>
public sealed class ParsedFileCacheTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kvmstor-parsed-").FullName;
    private readonly ParsedFileCache<string> _cache = new();
    private int _parses;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private string? Get(string path) => _cache.Get(path, text => { _parses++; return text; }, () => "fallback");

    /// <summary>Replaces the file by rename, as kvmstor's own writes do.</summary>
    private static void Replace(string path, string content)
    {
        File.WriteAllText(path + ".tmp", content);
        File.Move(path + ".tmp", path, overwrite: true);
    }

    [Fact]
    public void An_unchanged_file_is_parsed_once_and_a_missing_one_is_null()
    {
        string path = PathOf("p.xml");
        Assert.Null(Get(path));
        File.WriteAllText(path, "one");
        Assert.Equal("one", Get(path));
        Assert.Equal("one", Get(path));
        Assert.Equal(1, _parses);
        File.Delete(path);
        Assert.Null(Get(path));
    }

    [Fact]
    public void A_file_replaced_by_one_of_the_same_size_is_read_again()
    {
        string path = PathOf("p.xml");
        Replace(path, "aaaa");
        Assert.Equal("aaaa", Get(path));
        // Same size, same clock tick: only the inode tells them apart, and the cache's open handle keeps the old one taken.
        for (int i = 0; i < 20; i++)
        {
            string content = i % 2 == 0 ? "bbbb" : "aaaa";
            Replace(path, content);
            Assert.Equal(content, Get(path));
        }
    }

    [Fact]
    public void A_file_edited_in_place_is_read_again()
    {
        string path = PathOf("p.xml");
        File.WriteAllText(path, "short");
        Assert.Equal("short", Get(path));
        File.WriteAllText(path, "longer text");
        Assert.Equal("longer text", Get(path));
        // The same size: the edit's times differ from the ones the cache saw.
        File.WriteAllText(path, "LONGER TEXT");
        File.SetLastWriteTimeUtc(path, new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc));
        Assert.Equal("LONGER TEXT", Get(path));
    }

    [Fact]
    public void A_change_by_another_process_is_seen()
    {
        string path = PathOf("p.xml");
        Replace(path, "mine");
        Assert.Equal("mine", Get(path));
        using (var sh = Process.Start("/bin/sh", ["-c", "printf 'your' > \"$0.new\" && mv \"$0.new\" \"$0\"", path])!)
        {
            sh.WaitForExit();
            Assert.Equal(0, sh.ExitCode);
        }
        Assert.Equal("your", Get(path));
    }

    [Fact]
    public void A_pool_status_saved_by_another_store_is_loaded_fresh()
    {
        var paths = new StatePaths(StatePaths.SessionUri, PathOf("config"), PathOf("config/autostart"), PathOf("run"));
        var reader = new StatusStore(paths);
        var writer = new StatusStore(paths);
        var pool = new KvmStor.Model.PoolDefinition { Type = KvmStor.Model.PoolType.Dir, Name = "p", Uuid = Guid.NewGuid(), Target = new KvmStor.Model.PoolTarget { Path = "/srv/p" } };
        writer.Save(pool with { Allocation = 1000 });
        Assert.Equal(1000UL, reader.Load("p")!.Allocation);
        writer.SaveSizes(pool with { Allocation = 2000 }); // same length of text
        Assert.Equal(2000UL, reader.Load("p")!.Allocation);
        writer.Delete("p");
        Assert.Null(reader.Load("p"));
    }
}
