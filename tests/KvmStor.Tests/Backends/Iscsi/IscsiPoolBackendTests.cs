using KvmStor.Backends;
using KvmStor.Backends.Iscsi;
using KvmStor.Images;
using KvmStor.Model;
using KvmStor.Xml;
using static KvmStor.Tests.Backends.Iscsi.IscsiRecorded;

namespace KvmStor.Tests.Backends.Iscsi;

/// <summary>
/// The kernel-initiator iscsi backend against recorded iscsiadm output and a recorded sysfs + /dev tree: every
/// iscsiadm command line is compared with libvirt's (spec §3.5, viriscsi.c) in order.
/// </summary>
public class IscsiPoolBackendTests : IDisposable
{
    private const string Sessions = "iscsiadm --mode session";
    private const string NodeNew = $"iscsiadm --mode node --portal {Portal} --targetname {Target} --op new";
    private const string Login = $"iscsiadm --mode node --portal {Portal} --targetname {Target} --login";
    private const string Logout = $"iscsiadm --mode node --portal {Portal} --targetname {Target} --logout";
    private const string Rescan = "iscsiadm --mode session -r 1 -R";
    private const string ByPath = $"/dev/disk/by-path/ip-127.0.0.1:3260-iscsi-{Target}-lun-";

    private readonly IscsiTestHost _host = new();

    public void Dispose() => _host.Dispose();

    private ReplayRunner Runner => _host.Runner;

    private ReplayRunner NoSession() => Runner.Expect(Sessions, "", 21, Read("session-none.stderr.txt"));

    private static string ScsiId(int lun) => $"/lib/udev/scsi_id --replace-whitespace --whitelisted --device {ByPath}{lun}";

    private static string Serial(int lun) => $"360000000000000000e0000000001000{lun}";

    private ReplayRunner ExpectKeys() =>
        Runner.Expect(ScsiId(1), Serial(1) + "\n").Expect(ScsiId(2), Serial(2) + "\n").Expect(ScsiId(3), Serial(3) + "\n");

    [Fact]
    public void StartCreatesTheNodeRecordAndLogsIn()
    {
        NoSession().Expect(NodeNew, Read("node-new.txt")).Expect(Login, Read("login.txt"));
        _host.Backend().Start(IscsiTestHost.Pool());
        Runner.AssertDone();
    }

    [Fact]
    public void StartWithASessionAlreadyThereRunsNothingElse()
    {
        Runner.Expect(Sessions, Read("session-list.txt"));
        _host.Backend().Start(IscsiTestHost.Pool());
        Runner.AssertDone();
    }

    [Fact]
    public void StartWithACustomInitiatorCreatesItsInterfaceAndDiscoversThroughIt()
    {
        string iface = IscsiInterfaces.NameFor(Initiator);
        Assert.Equal("kvmstor-iface-57e62aa1", iface);
        NoSession()
            .Expect("iscsiadm --mode iface", Read("iface-list.txt"))
            .Expect($"iscsiadm --mode iface --interface {iface} --op new", $"New interface {iface} added\n")
            .Expect($"iscsiadm --mode iface --interface {iface} --op update --name iface.initiatorname --value {Initiator}", $"{iface} updated.\n")
            .Expect("iscsiadm --mode iface", Read("iface-list-custom.txt"))
            .Expect($"iscsiadm --mode discovery --type sendtargets --portal {Portal} --interface {iface}", Read("discovery-sendtargets.txt"))
            .Expect(NodeNew, Read("node-new.txt"))
            .Expect(Login + $" --interface {iface}", Read("login.txt"));
        _host.Backend().Start(IscsiTestHost.Pool($"<initiator><iqn name='{Initiator}'/></initiator>"));
        Runner.AssertDone();
    }

    [Fact]
    public void StartWithAnExistingInterfaceUsesIt()
    {
        NoSession()
            .Expect("iscsiadm --mode iface", Read("iface-list-custom.txt"))
            .Expect(NodeNew, Read("node-new.txt"))
            .Expect(Login + " --interface kvmstor-iface-57e62aa1", Read("login.txt"));
        _host.Backend().Start(IscsiTestHost.Pool($"<initiator><iqn name='{Initiator}'/></initiator>"));
        Runner.AssertDone();
    }

    [Fact]
    public void LoginRefusedByTheTargetGivesLibvirtsChildProcessError()
    {
        NoSession().Expect(NodeNew, Read("node-new.txt"))
            .Expect(Login, Read("login-auth-failure.txt"), 24, Read("login-auth-failure.stderr.txt"));
        var e = Assert.Throws<StorageException>(() => _host.Backend().Start(IscsiTestHost.Pool()));
        Assert.Equal(
            $"internal error: Child process ({Login}) unexpected exit status 24: "
            + $"iscsiadm: Could not login to [iface: default, target: {Target}, portal: 127.0.0.1,3260].\n"
            + "iscsiadm: initiator reported error (24 - iSCSI login failed due to authorization failure)\n"
            + "iscsiadm: Could not log into all portals", e.Display);
    }

    [Fact]
    public void NodeCreationFailureIsReported()
    {
        NoSession().Expect(NodeNew, "", 6, "iscsiadm: Could not open /etc/iscsi/nodes: Permission denied\n");
        var e = Assert.Throws<StorageException>(() => _host.Backend().Start(IscsiTestHost.Pool()));
        Assert.Equal($"internal error: iscsiadm failed new mode for target '{Target}' with status '6'", e.Display);
    }

    [Fact]
    public void ALoginThatHangsFailsWithinTheNetworkBound()
    {
        NoSession().Expect(NodeNew, Read("node-new.txt")).Hang(Login);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var e = Assert.Throws<StorageException>(() => _host.Backend(networkLimit: TimeSpan.FromMilliseconds(300)).Start(IscsiTestHost.Pool()));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5));
        Assert.Equal(Login, Runner.Ran[^1]);
        Assert.Equal(ErrorCode.OperationTimeout, e.Code);
        Assert.Equal($"Timed out during operation: iSCSI login to {Target} at {Portal}: no answer within 0.3 s (KVMSTOR_NETWORK_TIMEOUT)", e.Display);
    }

    [Fact]
    public void MissingIscsiadmNamesTheDebianPackage()
    {
        Runner.Missing.Add("iscsiadm");
        var e = Assert.Throws<StorageException>(() => _host.Backend().Start(IscsiTestHost.Pool()));
        Assert.Equal("operation failed: Cannot find 'iscsiadm' in path: install the Debian package 'open-iscsi'", e.Display);
        Assert.Empty(Runner.Ran);
    }

    [Fact]
    public void StopLogsOutOfTheSession()
    {
        Runner.Expect(Sessions, Read("session-list.txt")).Expect(Logout, Read("logout.txt"));
        _host.Backend().Stop(IscsiTestHost.Pool());
        Runner.AssertDone();
    }

    [Fact]
    public void StopWithAnInitiatorLogsOutThroughItsInterface()
    {
        Runner.Expect(Sessions, Read("session-list.txt"))
            .Expect("iscsiadm --mode iface", Read("iface-list-custom.txt"))
            .Expect(Logout + " --interface kvmstor-iface-57e62aa1", Read("logout.txt"));
        _host.Backend().Stop(IscsiTestHost.Pool($"<initiator><iqn name='{Initiator}'/></initiator>"));
        Runner.AssertDone();
    }

    [Fact]
    public void StopWithoutASessionDoesNotLogOut()
    {
        NoSession();
        _host.Backend().Stop(IscsiTestHost.Pool());
        Runner.AssertDone();
    }

    [Fact]
    public void RefreshRescansAndListsTheDiskAndCdromLunsWithStableNamesAndSerials()
    {
        Runner.Expect(Sessions, Read("session-list.txt")).Expect(Rescan, Read("rescan.txt")).Expect("udevadm settle");
        ExpectKeys();
        var result = _host.Backend().Refresh(IscsiTestHost.Pool());
        Runner.AssertDone();

        Assert.Equal(["unit:0:0:1", "unit:0:0:2", "unit:0:0:3"], result.Volumes.Select(v => v.Name));
        Assert.Equal([Serial(1), Serial(2), Serial(3)], result.Volumes.Select(v => v.Key));
        Assert.Equal([ByPath + "1", ByPath + "2", ByPath + "3"], result.Volumes.Select(v => v.Target.Path));
        Assert.Equal([8UL << 20, 1UL << 30, 4UL << 20], result.Volumes.Select(v => v.Capacity));
        Assert.All(result.Volumes, v => Assert.Equal(v.Capacity, v.Allocation));
        Assert.All(result.Volumes, v => Assert.Equal(VolumeType.Block, v.Type));
        Assert.Equal((8UL << 20) + (1UL << 30) + (4UL << 20), result.Capacity);
        Assert.Equal(result.Capacity, result.Allocation);
        Assert.Equal(0UL, result.Available);
        // As libvirt's pool XML after start: the portal's default port shows.
        Assert.Equal(new PoolSourceHost("127.0.0.1", 3260), result.Source!.Hosts.Single());
    }

    [Fact]
    public void AVolumeKeyFallsBackToItsPathWhenScsiIdHasNoSerial()
    {
        Runner.Expect(Sessions, Read("session-list.txt")).Expect(Rescan, Read("rescan.txt")).Expect("udevadm settle")
            .Expect(ScsiId(1), "", 1).Expect(ScsiId(2), Serial(2) + "\n").Expect(ScsiId(3), "\n");
        var result = _host.Backend().Refresh(IscsiTestHost.Pool());
        Assert.Equal([ByPath + "1", Serial(2), ByPath + "3"], result.Volumes.Select(v => v.Key));
    }

    [Fact]
    public void RefreshWithoutASessionGivesLibvirtsError()
    {
        NoSession();
        var e = Assert.Throws<StorageException>(() => _host.Backend().Refresh(IscsiTestHost.Pool()));
        Assert.Equal("internal error: cannot find iscsiadm session: iscsiadm: No active sessions.", e.Display);
        Runner.AssertDone();
    }

    [Fact]
    public void ATargetPathOutsideDevCannotHoldStableNames()
    {
        Runner.Expect(Sessions, Read("session-list.txt")).Expect(Rescan, Read("rescan.txt")).Expect("udevadm settle");
        var e = Assert.Throws<StorageException>(() => _host.Backend().Refresh(IscsiTestHost.Pool(targetPath: "/srv/luns")));
        Assert.Equal("invalid argument: unable to use target path '/srv/luns' for dev 'sdb'", e.Display);
    }

    [Fact]
    public void ATargetPathOfDevListsThePlainNodes()
    {
        Runner.Expect(Sessions, Read("session-list.txt")).Expect(Rescan, Read("rescan.txt")).Expect("udevadm settle")
            .Expect("/lib/udev/scsi_id --replace-whitespace --whitelisted --device /dev/sdb", Serial(1) + "\n")
            .Expect("/lib/udev/scsi_id --replace-whitespace --whitelisted --device /dev/sdc", Serial(2) + "\n")
            .Expect("/lib/udev/scsi_id --replace-whitespace --whitelisted --device /dev/sr0", Serial(3) + "\n")
            .Expect("/lib/udev/scsi_id --replace-whitespace --whitelisted --device /dev/sdd", Serial(4) + "\n");
        var result = _host.Backend().Refresh(IscsiTestHost.Pool(targetPath: "/dev"));
        // Without stable names every disk is listed, the one udev has not named yet included.
        Assert.Equal(["/dev/sdb", "/dev/sdc", "/dev/sr0", "/dev/sdd"], result.Volumes.Select(v => v.Target.Path));
        Assert.Equal(["unit:0:0:1", "unit:0:0:2", "unit:0:0:3", "unit:0:0:4"], result.Volumes.Select(v => v.Name));
    }

    [Fact]
    public void VolumeLookupsReadSysfsWithoutIscsiadm()
    {
        var backend = _host.Backend();
        Assert.True(backend.CheckActive(IscsiTestHost.Pool()));
        Runner.Expect(ScsiId(2), Serial(2) + "\n");
        var volume = backend.FindVolume(IscsiTestHost.Pool(), "unit:0:0:2");
        Assert.Equal(Serial(2), volume!.Key);
        // A path lookup reads the serial of the volume it found, not every volume's.
        Runner.Expect(ScsiId(1), Serial(1) + "\n");
        Assert.Equal("unit:0:0:1", backend.FindVolumeByKeyOrPath(IscsiTestHost.Pool(), ByPath + "1")!.Name);
        Runner.AssertDone();
        Assert.DoesNotContain(Runner.Ran, l => l.StartsWith("iscsiadm", StringComparison.Ordinal));
    }

    [Fact]
    public void CheckActiveIsFalseWithoutASessionForTheTarget()
    {
        using var empty = new IscsiTestHost(tree: "");
        Assert.False(empty.Backend().CheckActive(IscsiTestHost.Pool()));
        var other = IscsiTestHost.Pool() with { Source = IscsiTestHost.Pool().Source with { Devices = [new PoolSourceDevice { Path = "iqn.2024-01.test.kvmstor:other" }] } };
        Assert.False(_host.Backend().CheckActive(other));
    }

    [Fact]
    public void TwoHostsAreRefusedAsInLibvirt()
    {
        var pool = IscsiTestHost.Pool() with { Source = IscsiTestHost.Pool().Source with { Hosts = [new("a", null), new("b", null)] } };
        var e = Assert.Throws<StorageException>(() => _host.Backend().Start(pool));
        Assert.Equal("unsupported configuration: Expected exactly 1 host for the storage pool", e.Display);
    }

    [Fact]
    public void DiscoveryListsEveryTargetAsASource()
    {
        Runner.Expect($"iscsiadm --mode discovery --type sendtargets --portal {Portal} --op nonpersistent", Read("discovery-sendtargets.txt"));
        string xml = SourcesXml.Format(PoolType.Iscsi, _host.Backend().FindSources("<source><host name='127.0.0.1'/></source>"));
        Assert.Equal("""
            <sources>
              <source>
                <host name='127.0.0.1' port='3260'/>
                <device path='iqn.2024-01.test.kvmstor:target1'/>
              </source>
              <source>
                <host name='127.0.0.1' port='3260'/>
                <device path='iqn.2024-01.test.kvmstor:target2'/>
              </source>
            </sources>

            """, xml);
        Runner.AssertDone();
    }

    [Fact]
    public void DiscoveryWithAnInitiatorGoesThroughItsInterface()
    {
        Runner.Expect("iscsiadm --mode iface", Read("iface-list-custom.txt"))
            .Expect($"iscsiadm --mode discovery --type sendtargets --portal 127.0.0.1:3261,1 --op nonpersistent --interface kvmstor-iface-57e62aa1",
                "127.0.0.1:3261,1 iqn.2024-01.test.kvmstor:target1\n");
        string xml = SourcesXml.Format(PoolType.Iscsi, _host.Backend().FindSources($"<source><host name='127.0.0.1' port='3261'/><initiator><iqn name='{Initiator}'/></initiator></source>"));
        Assert.Contains($"<host name='127.0.0.1' port='3261'/>\n    <device path='{Target}'/>\n    <initiator>\n      <iqn name='{Initiator}'/>\n    </initiator>", xml);
    }

    [Fact]
    public void DiscoveryErrorsAreLibvirts()
    {
        var backend = _host.Backend();
        Assert.Equal("invalid argument: hostname must be specified for iscsi sources",
            Assert.Throws<StorageException>(() => backend.FindSources(null)).Display);
        Runner.Expect("iscsiadm --mode iface", Read("iface-list.txt"));
        Assert.Equal($"operation failed: no iSCSI interface defined for IQN {Initiator}",
            Assert.Throws<StorageException>(() => backend.FindSources($"<source><host name='127.0.0.1'/><initiator><iqn name='{Initiator}'/></initiator></source>")).Display);
        Runner.Expect($"iscsiadm --mode discovery --type sendtargets --portal {Portal} --op nonpersistent", "", 4,
            "iscsiadm: cannot make connection to 127.0.0.1: Connection refused\niscsiadm: connection login retries (reopen_max) 5 exceeded\niscsiadm: Could not perform SendTargets discovery: encountered connection failure\n");
        Assert.StartsWith($"internal error: Child process (iscsiadm --mode discovery --type sendtargets --portal {Portal} --op nonpersistent) unexpected exit status 4: iscsiadm: cannot make connection",
            Assert.Throws<StorageException>(() => backend.FindSources("<source><host name='127.0.0.1'/></source>")).Display);
    }

    [Fact]
    public void UploadDownloadAndWipeGoThroughTheStableDevicePath()
    {
        var backend = _host.Backend();
        var pool = IscsiTestHost.Pool();
        Runner.Expect(ScsiId(1), Serial(1) + "\n");
        var volume = backend.FindVolume(pool, "unit:0:0:1")!;
        byte[] data = Enumerable.Range(0, 1 << 18).Select(i => (byte)(i * 7 + 1)).ToArray();
        backend.Upload(pool, volume, new MemoryStream(data), new TransferRange(4096, 0, Sparse: false), null, default);

        var back = new MemoryStream();
        backend.Download(pool, volume, back, new TransferRange(4096, (ulong)data.Length, Sparse: false), null, default);
        Assert.Equal(data, back.ToArray());
        Assert.Equal(8L << 20, new FileInfo(Path.Combine(_host.Root, "dev", "sdb")).Length);

        backend.Wipe(pool, volume, WipeAlgorithm.Zero, null, default);
        Assert.True(File.ReadAllBytes(Path.Combine(_host.Root, "dev", "sdb")).All(b => b == 0));
    }

    [Fact]
    public void AnUploadLargerThanTheLunFails()
    {
        var backend = _host.Backend();
        var pool = IscsiTestHost.Pool();
        Runner.Expect(ScsiId(3), Serial(3) + "\n");
        var volume = backend.FindVolume(pool, "unit:0:0:3")!;
        var e = Assert.Throws<StorageException>(() =>
            backend.Upload(pool, volume, new MemoryStream(new byte[(4 << 20) + 1]), new TransferRange(0, 0, Sparse: false), null, default));
        Assert.Equal("cannot write to stream: No space left on device", e.Display);
        Assert.Equal(4L << 20, new FileInfo(Path.Combine(_host.Root, "dev", "sr0")).Length);
    }

    [Fact]
    public void VolumeXmlIsABlockVolumeWithKeyPathAndTheNodesOwnership()
    {
        File.SetUnixFileMode(Path.Combine(_host.Root, "dev", "sdc"), (UnixFileMode)0b110_110_000);
        Runner.Expect(ScsiId(2), Serial(2) + "\n");
        var volume = _host.Backend().FindVolume(IscsiTestHost.Pool(), "unit:0:0:2")!;
        string xml = KvmStor.Xml.VolumeXml.Format(volume, PoolType.Iscsi);
        Assert.StartsWith($"""
            <volume type='block'>
              <name>unit:0:0:2</name>
              <key>{Serial(2)}</key>
              <capacity unit='bytes'>1073741824</capacity>
              <allocation unit='bytes'>1073741824</allocation>
              <physical unit='bytes'>1073741824</physical>
              <target>
                <path>{ByPath}2</path>
                <permissions>
                  <mode>0660</mode>
            """, xml);
        Assert.Contains("<timestamps>", xml);
        Assert.DoesNotContain("<format", xml);
    }
}
