namespace KvmStor.IntegrationTests.Ceph;

/// <summary>
/// A host without librbd: the real binary runs in a private mount namespace where librbd.so.1 is /dev/null. The rbd
/// pool gets an error naming the Debian packages; a dir pool in the same state works as before. No cluster needed:
/// the library is looked for before any connection.
/// </summary>
public sealed class RbdWithoutLibraryTests : IDisposable
{
    private const string Library = "/usr/lib/x86_64-linux-gnu/librbd.so.1";
    private readonly KvmstorProcess _k = new();

    public void Dispose() => _k.Dispose();

    [Fact]
    public void Missing_librbd_names_the_packages_and_leaves_other_pools_working()
    {
        Assert.True(File.Exists(Library), $"{Library} is part of the test set-up (package librbd1)");
        string dir = Path.Combine(_k.Root, "dirpool");
        string script = $"""
            unshare -m bash -c '
              mount --bind /dev/null {Library} || exit 99
              "$KVMSTOR" pool-define-as norbd rbd --source-host 127.0.0.1 --source-name rbd >/dev/null; echo "define=$?"
              "$KVMSTOR" pool-start norbd 2>&1; echo "start=$?"
              "$KVMSTOR" pool-define-as d1 dir --target {dir} >/dev/null && "$KVMSTOR" pool-build d1 >/dev/null && "$KVMSTOR" pool-start d1 >/dev/null \
                && "$KVMSTOR" vol-create-as d1 v1 1M >/dev/null && "$KVMSTOR" vol-list d1; echo "dir=$?"'
            """;
        using var p = _k.StartScript(script);
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        Assert.Contains("define=0", output);
        Assert.Contains("rbd pools need librbd.so.1, which is not installed (Debian packages librados2 and librbd1)", output);
        Assert.Contains("start=1", output);
        Assert.Contains(" v1 ", output);
        Assert.Contains("dir=0", output);
        Assert.True(new FileInfo(Library).Length > 0, "the library outside the namespace is untouched");
    }
}
