namespace KvmStor.IntegrationTests.Iscsi;

/// <summary>
/// A host without libiscsi: the real binary runs in a private mount namespace where libiscsi.so.7 is /dev/null. The
/// iscsi-direct pool gets an error naming the Debian package; a dir pool in the same state works as before.
/// </summary>
public sealed class IscsiDirectWithoutLibraryTests : IDisposable
{
    private readonly KvmstorProcess _k = new();

    public void Dispose() => _k.Dispose();

    [Fact]
    public void Missing_libiscsi_names_the_package_and_leaves_other_pools_working()
    {
        string pool = Path.Combine(_k.Root, "isd.xml");
        File.WriteAllText(pool, "<pool type='iscsi-direct'><name>nolib</name><source><host name='127.0.0.1' port='3259'/>" +
                                "<device path='iqn.2026-01.test.kvmstor:none'/><initiator><iqn name='iqn.2026-01.test.kvmstor:i'/></initiator></source></pool>");
        string output = LibraryMasking.RunWithout(_k, "/usr/lib/x86_64-linux-gnu/libiscsi.so.7", $"""
              "$KVMSTOR" pool-define {pool} >/dev/null; echo "define=$?"
              "$KVMSTOR" pool-start nolib 2>&1; echo "start=$?"
              "$KVMSTOR" find-storage-pool-sources-as iscsi-direct 127.0.0.1 --initiator iqn.2026-01.test.kvmstor:i 2>&1; echo "find=$?"
            """);
        Assert.Contains("define=0", output);
        Assert.Contains("error: this function is not supported by the connection driver: iscsi-direct pools need libiscsi (libiscsi.so.7), " +
                        "which is not installed: install the Debian package libiscsi7", output);
        Assert.Contains("start=1", output);
        Assert.Contains("find=1", output);
    }
}
