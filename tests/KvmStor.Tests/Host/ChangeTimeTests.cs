using System.Text;
using KvmStor.Host;
using Xunit;

namespace KvmStor.Tests.Host;

/// <summary>
/// DirectoryHandle.TryGetChangeTime, the allocation-free ctime the ./kvmstor wrapper's up-to-date check makes for each
/// of its few hundred inputs: the same time a full stat reports, through links and sub-directories, false when absent.
/// </summary>
public sealed class ChangeTimeTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("kvmstor-ctime-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static byte[] Nul(string path) => Encoding.UTF8.GetBytes(path + "\0");

    [Fact]
    public void Reports_the_ctime_a_full_stat_reports_for_a_nested_path()
    {
        Directory.CreateDirectory(Path.Combine(_root, "a", "b"));
        string file = Path.Combine(_root, "a", "b", "c.cs");
        File.WriteAllText(file, "x");
        using var tree = DirectoryHandle.Open(_root);

        Assert.True(tree.TryGetChangeTime(Nul("a/b/c.cs"), out var changed));
        Assert.Equal(FileSystem.Stat(file).Changed, changed);
        Assert.True(tree.TryGetChangeTime(Nul("."), out var top));
        Assert.Equal(FileSystem.Stat(_root).Changed, top);
    }

    [Fact]
    public void Follows_a_link_and_is_false_for_a_missing_path()
    {
        string target = Path.Combine(_root, "target.cs");
        File.WriteAllText(target, "x");
        File.CreateSymbolicLink(Path.Combine(_root, "link.cs"), target);
        using var tree = DirectoryHandle.Open(_root);

        Assert.True(tree.TryGetChangeTime(Nul("link.cs"), out var changed));
        Assert.Equal(FileSystem.Stat(target).Changed, changed);
        Assert.False(tree.TryGetChangeTime(Nul("missing.cs"), out _));
    }

    [Fact]
    public void Refuses_a_path_without_its_terminating_nul()
    {
        using var tree = DirectoryHandle.Open(_root);
        Assert.Throws<ArgumentException>(() => tree.TryGetChangeTime("a.cs"u8, out _));
    }
}
