namespace KvmStor.IntegrationTests.Ceph;

/// <summary>
/// A host without librbd: the rbd pool gets an error naming the Debian packages; a dir pool works as before. No
/// cluster needed: the library is looked for before any connection.
/// </summary>
public sealed class RbdWithoutLibraryTests : IDisposable
{
    private readonly KvmstorProcess _k = new();

    public void Dispose() => _k.Dispose();

    [Fact]
    public void Missing_librbd_names_the_packages_and_leaves_other_pools_working()
    {
        string output = LibraryMasking.RunWithout(_k, "/usr/lib/x86_64-linux-gnu/librbd.so.1", """
              "$KVMSTOR" pool-define-as norbd rbd --source-host 127.0.0.1 --source-name rbd >/dev/null; echo "define=$?"
              "$KVMSTOR" pool-start norbd 2>&1; echo "start=$?"
            """);
        Assert.Contains("define=0", output);
        Assert.Contains("rbd pools need librbd.so.1, which is not installed (Debian packages librados2 and librbd1)", output);
        Assert.Contains("start=1", output);
    }
}
