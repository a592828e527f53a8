using System.Text;
using KvmStor.Backends;
using KvmStor.Backends.Iscsi;
using KvmStor.Engine;
using KvmStor.Guests;
using KvmStor.Model;
using static KvmStor.Tests.Backends.Iscsi.IscsiRecorded;

namespace KvmStor.Tests.Backends.Iscsi;

/// <summary>
/// The iscsi pool through the storage driver: CHAP secrets from the secret store (by usage and by UUID) reaching the
/// node records and never a process argument, pool XML round trips, pool-capabilities, and guests using its LUNs.
/// </summary>
public class IscsiPoolEngineTests : IDisposable
{
    private const string SecretUuid = "5f3b8d7e-2c1a-4b9e-8f00-1a2b3c4d5e6f";
    private const string Usage = "kvmstor-chap";
    private const string Password = "Chap-Passw0rd-0123";
    private const string Update = $"iscsiadm --mode node --portal {Portal} --target {Target} --op update --name";
    private const string ByPath = $"/dev/disk/by-path/ip-127.0.0.1:3260-iscsi-{Target}-lun-";

    private readonly TempStateDirectory _state = new();
    private readonly IscsiTestHost _iscsi = new();
    private readonly StorageHost _host;

    public IscsiPoolEngineTests()
    {
        var registry = new BackendRegistry();
        registry.Register(new IscsiPoolBackend(_iscsi.Runner, registry.Secrets, _iscsi.Paths));
        _host = _state.OpenHost(registry);
    }

    public void Dispose()
    {
        _iscsi.Dispose();
        _state.Dispose();
    }

    private ReplayRunner Runner => _iscsi.Runner;

    private void DefineSecret(string? value = Password)
    {
        _host.Secrets.Define($"<secret ephemeral='no' private='yes'><uuid>{SecretUuid}</uuid><usage type='iscsi'><target>{Usage}</target></usage></secret>");
        if (value is not null) _host.Secrets.SetValue(SecretUuid, Encoding.UTF8.GetBytes(value));
    }

    private void DefinePool(string secret, string extraSource = "") =>
        _host.Pools.Define(KvmStor.Xml.PoolXml.Format(IscsiTestHost.Pool(
            $"{extraSource}<auth type='chap' username='chapuser'>{secret}</auth>")));

    private ReplayRunner ExpectLoginWithChap(string loginSuffix = "")
    {
        return Runner
            .Expect($"{Update} node.session.auth.authmethod --value CHAP")
            .Expect($"{Update} node.session.auth.username --value chapuser")
            .Expect($"iscsiadm --mode node --portal {Portal} --targetname {Target} --login{loginSuffix}", Read("login.txt"));
    }

    private ReplayRunner ExpectRefresh()
    {
        Runner.Expect("iscsiadm --mode session", Read("session-list.txt")).Expect("iscsiadm --mode session -r 1 -R", Read("rescan.txt")).Expect("udevadm settle");
        for (int lun = 1; lun <= 3; lun++)
            Runner.Expect($"/lib/udev/scsi_id --replace-whitespace --whitelisted --device {ByPath}{lun}", $"360000000000000000e0000000001000{lun}\n");
        return Runner;
    }

    private ReplayRunner ExpectNewNode() =>
        Runner.Expect("iscsiadm --mode session", "", 21, Read("session-none.stderr.txt"))
            .Expect($"iscsiadm --mode node --portal {Portal} --targetname {Target} --op new", Read("node-new.txt"));

    private void AssertPasswordOnlyInRecords(params string[] records)
    {
        foreach (var record in records)
        {
            var lines = File.ReadAllLines(record);
            Assert.Single(lines, l => l.StartsWith(IscsiNodeRecords.PasswordKey + " ", StringComparison.Ordinal));
            Assert.Contains($"{IscsiNodeRecords.PasswordKey} = {Password}", lines);
            Assert.Equal("# END RECORD", lines[^1]);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(record));
        }
        Assert.NotEmpty(Runner.Ran);
        Assert.DoesNotContain(Runner.Ran, line => line.Contains(Password, StringComparison.Ordinal));
    }

    [Fact]
    public void ChapSecretByUsageReachesTheNodeRecordAndNoArgument()
    {
        DefineSecret();
        DefinePool($"<secret usage='{Usage}'/>");
        string record = _iscsi.WriteNodeRecord();
        ExpectNewNode();
        ExpectLoginWithChap();
        ExpectRefresh();

        _host.Pools.Start("iscsi1", PoolBuildFlags.None);

        Runner.AssertDone();
        AssertPasswordOnlyInRecords(record);
        Assert.True(_host.Pools.Info("iscsi1").Active);
        string live = _host.Pools.GetXml("iscsi1", inactive: false);
        Assert.Contains("<host name='127.0.0.1' port='3260'/>", live);
        Assert.Contains($"<capacity unit='bytes'>{(8L << 20) + (1L << 30) + (4L << 20)}</capacity>", live);
        Assert.DoesNotContain(Password, live);
    }

    [Fact]
    public void ChapSecretByUuidWithACustomInitiatorReachesEveryInterfacesRecord()
    {
        DefineSecret();
        DefinePool($"<secret uuid='{SecretUuid}'/>", $"<initiator><iqn name='{Initiator}'/></initiator>");
        string[] records = [_iscsi.WriteNodeRecord(), _iscsi.WriteNodeRecord("kvmstor-iface-57e62aa1")];
        Runner.Expect("iscsiadm --mode session", "", 21, Read("session-none.stderr.txt"))
            .Expect("iscsiadm --mode iface", Read("iface-list-custom.txt"))
            .Expect($"iscsiadm --mode node --portal {Portal} --targetname {Target} --op new", Read("node-new.txt"));
        ExpectLoginWithChap(" --interface kvmstor-iface-57e62aa1");
        ExpectRefresh();

        _host.Pools.Start("iscsi1", PoolBuildFlags.None);

        Runner.AssertDone();
        AssertPasswordOnlyInRecords(records);
    }

    [Fact]
    public void AMissingSecretStopsTheStartBeforeAnyLogin()
    {
        DefinePool($"<secret usage='{Usage}'/>");
        _iscsi.WriteNodeRecord();
        ExpectNewNode();
        var e = Assert.Throws<StorageException>(() => _host.Pools.Start("iscsi1", PoolBuildFlags.None));
        Assert.Equal($"Secret not found: no secret with matching usage '{Usage}'", e.Display);
        Runner.AssertDone();
        Assert.False(_host.Pools.Info("iscsi1").Active);
    }

    [Fact]
    public void AMissingSecretUuidIsNamed()
    {
        DefinePool($"<secret uuid='{SecretUuid}'/>");
        ExpectNewNode();
        var e = Assert.Throws<StorageException>(() => _host.Pools.Start("iscsi1", PoolBuildFlags.None));
        Assert.Equal($"Secret not found: no secret with matching uuid '{SecretUuid}'", e.Display);
    }

    [Fact]
    public void ASecretThatCannotBeARecordValueIsRefusedBeforeLogin()
    {
        DefineSecret(Password + "\n");
        DefinePool($"<secret usage='{Usage}'/>");
        string record = _iscsi.WriteNodeRecord();
        ExpectNewNode()
            .Expect($"{Update} node.session.auth.authmethod --value CHAP")
            .Expect($"{Update} node.session.auth.username --value chapuser");
        var e = Assert.Throws<StorageException>(() => _host.Pools.Start("iscsi1", PoolBuildFlags.None));
        Assert.Equal("invalid argument: the CHAP secret contains control characters or leading/trailing blanks, which an iSCSI node record cannot hold", e.Display);
        Runner.AssertDone();
        Assert.Equal(Read("node-record-default.txt"), File.ReadAllText(record));
    }

    [Fact]
    public void WithoutANodeRecordThePasswordHasNowhereToGo()
    {
        DefineSecret();
        DefinePool($"<secret usage='{Usage}'/>");
        ExpectNewNode()
            .Expect($"{Update} node.session.auth.authmethod --value CHAP")
            .Expect($"{Update} node.session.auth.username --value chapuser");
        var e = Assert.Throws<StorageException>(() => _host.Pools.Start("iscsi1", PoolBuildFlags.None));
        Assert.Equal($"internal error: cannot store the CHAP password: no iSCSI node record for target '{Target}' at {Portal} under '{_iscsi.Paths.NodesDirectory}'", e.Display);
    }

    [Fact]
    public void DestroyLogsOut()
    {
        DefinePool($"<secret usage='{Usage}'/>");
        DefineSecret();
        _iscsi.WriteNodeRecord();
        ExpectNewNode();
        ExpectLoginWithChap();
        ExpectRefresh();
        _host.Pools.Start("iscsi1", PoolBuildFlags.None);
        Runner.Expect("iscsiadm --mode session", Read("session-list.txt"))
            .Expect($"iscsiadm --mode node --portal {Portal} --targetname {Target} --logout", Read("logout.txt"));
        _host.Pools.Destroy("iscsi1");
        Runner.AssertDone();
        Assert.False(_host.Pools.Info("iscsi1").Active);
    }

    [Theory]
    [InlineData("""
        <pool type='iscsi'>
          <source>
            <auth type='chap' username='admin'>
              <secret uuid='2ec115d7-3a88-3ceb-bc12-0ac909a6fd87'/>
            </auth>
            <device path="demo-target"/>
            <host name="iscsi.example.com"/>
          </source>
          <uuid>e9392370-2917-565e-692b-d057f46512d6</uuid>
          <target>
            <permissions>
              <owner>0</owner>
              <mode>0700</mode>
              <group>0</group>
            </permissions>
            <path>/dev/disk/by-path</path>
          </target>
          <name>virtimages</name>
        </pool>
        """, """
        <pool type='iscsi'>
          <name>virtimages</name>
          <uuid>e9392370-2917-565e-692b-d057f46512d6</uuid>
          <capacity unit='bytes'>0</capacity>
          <allocation unit='bytes'>0</allocation>
          <available unit='bytes'>0</available>
          <source>
            <host name='iscsi.example.com'/>
            <device path='demo-target'/>
            <auth type='chap' username='admin'>
              <secret uuid='2ec115d7-3a88-3ceb-bc12-0ac909a6fd87'/>
            </auth>
          </source>
          <target>
            <path>/dev/disk/by-path</path>
            <permissions>
              <mode>0700</mode>
              <owner>0</owner>
              <group>0</group>
            </permissions>
          </target>
        </pool>
        """)]
    [InlineData("""
        <pool type='iscsi'>
          <name>iscsi</name>
          <uuid>4c632a5a-ae50-425b-b807-1cb9a14d9918</uuid>
          <capacity unit='bytes'>0</capacity>
          <allocation unit='bytes'>0</allocation>
          <available unit='bytes'>0</available>
          <source>
            <host name='127.0.0.1' port='3261'/>
            <device path='iqn.2024-01.test.lvref:target1'/>
            <initiator>
              <iqn name='iqn.2024-01.test.kvmstor:initiator'/>
            </initiator>
            <auth type='chap' username='chapuser'>
              <secret usage='kvmstor-chap'/>
            </auth>
          </source>
          <target>
            <path>/dev/disk/by-path</path>
          </target>
        </pool>
        """, null)]
    public void DefinitionsRoundTripUnchanged(string input, string? expected)
    {
        var info = _host.Pools.Define(input);
        Assert.Equal((expected ?? input) + "\n", _host.Pools.GetXml(info.Name, inactive: true));
    }

    [Fact]
    public void PoolCapabilitiesSayIscsiIsSupported()
    {
        using var defaults = _state.OpenHost();
        string caps = defaults.Pools.GetCapabilitiesXml();
        Assert.Contains("<pool type='iscsi' supported='yes'>", caps);
        Assert.IsType<IscsiPoolBackend>(BackendRegistry.CreateDefault().Find(Model.PoolType.Iscsi));
    }

    [Fact]
    public void AGuestDiskOnAPoolLunOpensTheStableDeviceWithHostDevice()
    {
        var pool = IscsiTestHost.Pool();
        var backend = _iscsi.Backend();
        Runner.Expect($"/lib/udev/scsi_id --replace-whitespace --whitelisted --device {ByPath}2", "360000000000000000e00000000010002\n");
        var resolver = new DiskSourceResolver((poolName, volumeName) =>
            new PoolVolume(pool, backend.FindVolume(pool, volumeName) ?? throw new StorageException(ErrorCode.NoStorageVolume, volumeName)));
        var argv = new QemuArgvBuilder(resolver).Build(DomainDocument.Parse(
            "<domain type='kvm'><name>g</name><memory unit='MiB'>128</memory><vcpu>1</vcpu><os><type machine='pc'>hvm</type></os><devices>"
            + "<disk type='volume' device='disk'><source pool='iscsi1' volume='unit:0:0:2'/><target dev='vda' bus='virtio'/></disk>"
            + "</devices></domain>"));
        var blockdevs = argv.Select((a, i) => (a, i)).Where(x => x.i > 0 && argv[x.i - 1] == "-blockdev").Select(x => x.a).ToList();
        Assert.Contains(blockdevs, b => b.StartsWith($"driver=host_device,filename={ByPath}2,", StringComparison.Ordinal));
        Assert.Contains(blockdevs, b => b.StartsWith("driver=raw,", StringComparison.Ordinal));
    }
}
