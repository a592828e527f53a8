namespace KvmStor.IntegrationTests.Iscsi;

/// <summary>
/// A host without libiscsi: the real binary runs in a private mount namespace where libiscsi.so.7 is /dev/null. The
/// iscsi-direct pool gets an error naming the Debian package; a dir pool in the same state works as before.
/// </summary>
public sealed class IscsiDirectWithoutLibraryTests : IDisposable
{
    private const string Library = "/usr/lib/x86_64-linux-gnu/libiscsi.so.7";
    private readonly KvmstorProcess _k = new();

    public void Dispose() => _k.Dispose();

    [Fact]
    public void Missing_libiscsi_names_the_package_and_leaves_other_pools_working()
    {
        Assert.True(File.Exists(Library), $"{Library} is part of the test set-up (package libiscsi7)");
        string pool = Path.Combine(_k.Root, "isd.xml");
        File.WriteAllText(pool, "<pool type='iscsi-direct'><name>nolib</name><source><host name='127.0.0.1' port='3259'/>" +
                                "<device path='iqn.2026-01.test.kvmstor:none'/><initiator><iqn name='iqn.2026-01.test.kvmstor:i'/></initiator></source></pool>");
        string dir = Path.Combine(_k.Root, "dirpool");
        // Inside the namespace: hide the library, then run the commands one after another, each one's result on its own line.
        string script = $"""
            unshare -m bash -c '
              mount --bind /dev/null {Library} || exit 99
              "$KVMSTOR" pool-define {pool} >/dev/null; echo "define=$?"
              "$KVMSTOR" pool-start nolib 2>&1; echo "start=$?"
              "$KVMSTOR" find-storage-pool-sources-as iscsi-direct 127.0.0.1 --initiator iqn.2026-01.test.kvmstor:i 2>&1; echo "find=$?"
              "$KVMSTOR" pool-define-as d1 dir --target {dir} >/dev/null && "$KVMSTOR" pool-build d1 >/dev/null && "$KVMSTOR" pool-start d1 >/dev/null \
                && "$KVMSTOR" vol-create-as d1 v1 1M >/dev/null && "$KVMSTOR" vol-list d1; echo "dir=$?"'
            """;
        using var p = _k.StartScript(script);
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        Assert.Contains("define=0", output);
        Assert.Contains("error: this function is not supported by the connection driver: iscsi-direct pools need libiscsi (libiscsi.so.7), " +
                        "which is not installed: install the Debian package libiscsi7", output);
        Assert.Contains("start=1", output);
        Assert.Contains("find=1", output);
        Assert.Contains(" v1 ", output);
        Assert.Contains("dir=0", output);
        Assert.True(File.Exists(Library) && new FileInfo(Library).Length > 0, "the library outside the namespace is untouched");
    }
}
