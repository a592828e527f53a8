using KvmStor.Backends.Iscsi;
using KvmStor.Model;
using static KvmStor.Tests.Backends.Iscsi.IscsiRecorded;

namespace KvmStor.Tests.Backends.Iscsi;

/// <summary>The readers of iscsiadm's output and the node-record password writer, on recorded text.</summary>
public class IscsiParsingTests
{
    [Fact]
    public void SessionListGivesNumbersAndTargets() =>
        Assert.Equal([new IscsiSession("3", "iqn.2024-01.test.kvmstor:other"), new IscsiSession("1", Target)],
            IscsiSession.ParseList(Read("session-list.txt")));

    [Fact]
    public void InterfaceListFindsTheInitiatorsInterfaceOrNone()
    {
        Assert.Equal("kvmstor-iface-57e62aa1", IscsiInterfaces.Parse(Read("iface-list-custom.txt"), Initiator));
        Assert.Null(IscsiInterfaces.Parse(Read("iface-list.txt"), Initiator));
        var e = Assert.Throws<StorageException>(() => IscsiInterfaces.Parse("default tcp,<empty>\n", Initiator));
        Assert.Equal("internal error: malformed output of iscsiadm: default tcp,<empty>", e.Display);
    }

    [Fact]
    public void PortalArgumentsAreLibvirts()
    {
        Assert.Equal("127.0.0.1:3260,1", IscsiPortal.ArgumentFor(new PoolSourceHost("127.0.0.1")));
        Assert.Equal("[fd00::5]:3261,1", IscsiPortal.ArgumentFor(new PoolSourceHost("fd00::5", 3261)));
        var e = Assert.Throws<StorageException>(() => IscsiPortal.Of(new PoolSource { Hosts = [new("h")] }));
        Assert.Equal("internal error: missing source device", e.Display);
    }

    [Fact]
    public void PasswordIsAddedToAFreshRecordAndReplacedAfterwards()
    {
        // iscsiadm 2.1.8 writes no password line while none is set.
        string fresh = Read("node-record-default.txt");
        Assert.DoesNotContain(IscsiNodeRecords.PasswordKey, fresh);
        string record = IscsiNodeRecords.WithPassword(fresh, "s3cret pass");
        var expected = fresh.Replace("# END RECORD", "node.session.auth.password = s3cret pass\n# END RECORD");
        Assert.Equal(expected, record);
        // Again: replaced, not duplicated.
        Assert.Equal(expected.Replace("s3cret pass", "other"), IscsiNodeRecords.WithPassword(record, "other"));
    }

    [Fact]
    public void PasswordIsAddedBeforeTheEndOfARecordWithoutOne() =>
        Assert.Equal("# BEGIN RECORD 2.1.8\nnode.name = t\nnode.session.auth.password = p\n# END RECORD\n",
            IscsiNodeRecords.WithPassword("# BEGIN RECORD 2.1.8\nnode.name = t\n# END RECORD\n", "p"));

    [Fact]
    public void RecordFilesOfBothDatabaseLayoutsAreFound()
    {
        string nodes = Directory.CreateTempSubdirectory("kvmstor-nodes-").FullName;
        try
        {
            string target = Path.Combine(nodes, Target);
            Directory.CreateDirectory(Path.Combine(target, "127.0.0.1,3260,1"));
            File.WriteAllText(Path.Combine(target, "127.0.0.1,3260,1", "default"), "");
            File.WriteAllText(Path.Combine(target, "127.0.0.1,3260,1", "kvmstor-iface-57e62aa1"), "");
            File.WriteAllText(Path.Combine(target, "127.0.0.1,3261,1"), "");   // another port: not ours
            File.WriteAllText(Path.Combine(target, "127.0.0.2,3260,1"), "");   // another address: not ours
            var portal = IscsiPortal.Of(new PoolSource { Hosts = [new("127.0.0.1")], Devices = [new() { Path = Target }] });
            Assert.Equal([Path.Combine(target, "127.0.0.1,3260,1", "default"), Path.Combine(target, "127.0.0.1,3260,1", "kvmstor-iface-57e62aa1")],
                new IscsiNodeRecords(nodes).RecordFiles(portal));

            // An old single-file record.
            var other = IscsiPortal.Of(new PoolSource { Hosts = [new("127.0.0.2")], Devices = [new() { Path = Target }] });
            Assert.Equal([Path.Combine(target, "127.0.0.2,3260,1")], new IscsiNodeRecords(nodes).RecordFiles(other));
        }
        finally
        {
            Directory.Delete(nodes, recursive: true);
        }
    }
}
