using KvmStor.Backends;
using KvmStor.Backends.Mpath;
using KvmStor.Backends.Scsi;
using KvmStor.Engine;
using KvmStor.Model;
using static KvmStor.Tests.Backends.Scsi.ScsiReplay;

namespace KvmStor.Tests.Backends.Scsi;

/// <summary>scsi and mpath pools through the storage host: definitions, life cycle, capability errors, conflicts.</summary>
public sealed class ScsiMpathEngineTests : IDisposable
{
    private readonly TempStateDirectory _state = new();
    private readonly RecordedSysfs _sysfs = new();
    private readonly ReplayRunner _runner = Runner();
    private readonly StorageHost _host;

    private const string FcPool = """
        <pool type='scsi'>
          <name>hba0</name>
          <uuid>e9392370-2917-565e-692b-d057f46512d6</uuid>
          <source>
            <adapter type='fc_host' parent='scsi_host5' wwnn='20000000c9831b4b' wwpn='10000000c9831b4b'/>
          </source>
          <target>
            <path>/dev/disk/by-path</path>
          </target>
        </pool>
        """;

    public ScsiMpathEngineTests()
    {
        var registry = new BackendRegistry();
        registry.Register(new ScsiPoolBackend(_runner, _sysfs.Roots, TimeSpan.FromSeconds(5)));
        registry.Register(new MpathPoolBackend(_runner, _sysfs.Roots));
        _host = _state.OpenHost(registry);
    }

    public void Dispose()
    {
        _sysfs.Dispose();
        _state.Dispose();
    }

    /// <summary>libvirt's golden inputs (storagepoolxml2xmlin pool-scsi-type-scsi-host, pool-scsi, pool-mpath), as the tests need them.</summary>
    private static string Golden(string name) => name switch
    {
        "pool-scsi-type-scsi-host.xml" => ScsiHostPool("<adapter type='scsi_host' name=\"host0\"/>"),
        "pool-scsi.xml" => ScsiHostPool("<adapter name=\"host0\"/>"),
        "pool-mpath.xml" => """
            <pool type="mpath">
              <name>mpath</name>
              <uuid>e9392370-2917-565e-692b-d057f46512d6</uuid>
              <target>
                <path>/dev/mapper</path>
                <permissions>
                  <mode>0700</mode>
                  <owner>0</owner>
                  <group>0</group>
                </permissions>
              </target>
            </pool>
            """,
        _ => throw new ArgumentException(name),
    };

    private static string ScsiHostPool(string adapter) => $"""
        <pool type="scsi">
          <name>hba0</name>
          <uuid>e9392370-2917-565e-692b-d057f46512d6</uuid>
          <source>
            {adapter}
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
        """;

    [Fact]
    public void ManagedFcHostDefinitionRoundTrips()
    {
        string xml = FcPool.Replace("parent='scsi_host5'", "parent='scsi_host5' managed='yes'");
        _host.Pools.Define(xml);
        Assert.Contains("<adapter type='fc_host' parent='scsi_host5' managed='yes' wwnn='20000000c9831b4b' wwpn='10000000c9831b4b'/>",
            _host.Pools.GetXml("hba0", inactive: true));
    }

    [Fact]
    public void StartingAnFcHostPoolCreatesItsVhbaRecordsItAsManagedAndDestroyDeletesIt()
    {
        _sysfs.FcHba();
        using var kernel = new FakeVportKernel(_sysfs);
        foreach (var lun in new[] { "lun-0", "lun-1" })
            _runner.On(ScsiSerial.ExportCommand(_sysfs.Roots.OnHost($"/dev/disk/by-path/pci-0000:04:00.1-fc-0x5006016844602198-{lun}")).ToString(),
                0, Read("scsi_id-export-sdb.txt").Replace("ID_TARGET_PORT=1", "ID_TARGET_PORT=" + lun[^1]));
        _host.Pools.Define(FcPool);

        _host.Pools.Start("hba0", PoolBuildFlags.None);

        Assert.Contains("managed='yes'", _host.Pools.GetXml("hba0", inactive: false));
        Assert.Equal(["unit:0:0:0", "unit:0:0:1"], _host.Volumes.List("hba0").Select(v => v.Name));
        Assert.Equal(12UL << 20, _host.Pools.Info("hba0").Capacity);

        _host.Pools.Destroy("hba0");
        SpinWait.SpinUntil(() => kernel.Log.Count == 2, TimeSpan.FromSeconds(5));
        Assert.Equal(["vport_create", "vport_delete"], kernel.Log.Select(l => l.File));
        // As libvirt: the persistent definition records that the vHBA is the pool's.
        Assert.Contains("managed='yes'", _host.Pools.GetXml("hba0", inactive: true));
    }

    [Fact]
    public void ScsiPoolsRefuseWhatLibvirtsScsiBackendCannotDo()
    {
        _sysfs.Ahci();
        _runner.On(ScsiSerial.SerialCommand(_sysfs.Roots.OnHost("/dev/disk/by-path/pci-0000:00:1f.2-ata-1")).ToString(), 0, "QM00001\n");
        _host.Pools.Define(Golden("pool-scsi-type-scsi-host.xml"));
        _host.Pools.Start("hba0", PoolBuildFlags.None);
        var volume = _host.Lookup.VolumeByName("hba0", "unit:0:0:0");
        Assert.Equal("QM00001", volume.Volume.Key);
        Assert.Equal("unit:0:0:0", _host.Lookup.VolumeByKey("QM00001").Name);

        var create = Assert.Throws<StorageException>(() => _host.Volumes.Create("hba0",
            "<volume><name>v</name><capacity>1024</capacity></volume>", VolumeCreateFlags.None));
        Assert.Equal("this function is not supported by the connection driver: storage pool does not support volume creation", create.Display);
        var delete = Assert.Throws<StorageException>(() => _host.Volumes.Delete(volume, VolumeDeleteFlags.None));
        Assert.Equal("this function is not supported by the connection driver: storage pool does not support vol deletion", delete.Display);
        var resize = Assert.Throws<StorageException>(() => _host.Volumes.Resize(volume, 1 << 30, VolumeResizeFlags.None));
        Assert.Equal("this function is not supported by the connection driver: storage pool does not support changing of volume capacity", resize.Display);
        var sources = Assert.Throws<StorageException>(() => _host.Pools.FindSources("scsi", null));
        Assert.Equal("this function is not supported by the connection driver: pool type 'scsi' does not support source discovery", sources.Display);

        _host.Pools.Destroy("hba0");
        var poolDelete = Assert.Throws<StorageException>(() => _host.Pools.Delete("hba0"));
        Assert.Equal("this function is not supported by the connection driver: pool does not support pool deletion", poolDelete.Display);
    }

    [Fact]
    public void LunVolumeXmlIsABlockVolumeWithoutFormat()
    {
        _sysfs.Ahci();
        _runner.On(ScsiSerial.SerialCommand(_sysfs.Roots.OnHost("/dev/disk/by-path/pci-0000:00:1f.2-ata-1")).ToString(), 0, "QM00001\n");
        _host.Pools.Define(Golden("pool-scsi-type-scsi-host.xml"));
        _host.Pools.Start("hba0", PoolBuildFlags.None);
        string xml = _host.Volumes.GetXml(_host.Lookup.VolumeByPath("/dev/disk/by-path/pci-0000:00:1f.2-ata-1"));
        Assert.StartsWith("""
            <volume type='block'>
              <name>unit:0:0:0</name>
              <key>QM00001</key>
              <capacity unit='bytes'>8388608</capacity>
              <allocation unit='bytes'>8388608</allocation>
              <physical unit='bytes'>8388608</physical>
              <target>
                <path>/dev/disk/by-path/pci-0000:00:1f.2-ata-1</path>
                <permissions>
            """, xml);
        Assert.DoesNotContain("<format", xml);
    }

    [Theory]
    [InlineData("<adapter type='fc_host' wwnn='2000000' wwpn='10000000c9831b4b'/>", "XML error: Malformed wwn: 2000000")]
    [InlineData("<adapter type='fc_host' wwnn='20000000c9831b4b' wwpn='10000000c9831bxx'/>", "XML error: Malformed wwn: 10000000c9831bxx")]
    [InlineData("<adapter type='fc_host' wwnn='20000000c9831b4b' wwpn='10000000c9831b4b' parent_wwnn='20000000c9831b4a'/>",
        "XML error: when providing parent_wwnn='20000000c9831b4a', the parent_wwpn must also be provided")]
    [InlineData("<adapter type='scsi_host'><parentaddr><address domain='0x0000' bus='0x00' slot='0x1f' function='0x2'/></parentaddr></adapter>",
        "XML error: Missing or invalid scsi adapter 'unique_id' value")]
    [InlineData("", "XML error: missing storage pool source adapter")]
    public void BadAdaptersAreRefusedBeforeAnythingIsRunOrWritten(string adapter, string expected)
    {
        _sysfs.FcHba();
        string xml = $"<pool type='scsi'><name>bad</name><source>{adapter}</source><target><path>/dev/disk/by-path</path></target></pool>";
        var define = Assert.Throws<StorageException>(() => _host.Pools.Define(xml));
        Assert.Equal(expected, define.Display);
        var create = Assert.Throws<StorageException>(() => _host.Pools.Create(xml, PoolBuildFlags.None));
        Assert.Equal(expected, create.Display);
        Assert.Empty(_host.Pools.List(new PoolListFilter()));
        Assert.Empty(_runner.Ran);
        Assert.Equal("", File.ReadAllText(Path.Combine(_sysfs.Sys, "devices", FcPci, "host5", "fc_host", "host5", "vport_create")));
    }

    [Fact]
    public void UnknownScsiHostFailsToStartAndStaysInactive()
    {
        _sysfs.Ahci();
        _host.Pools.Define(Golden("pool-scsi.xml").Replace("host0", "host7"));
        var e = Assert.Throws<StorageException>(() => _host.Pools.Start("hba0", PoolBuildFlags.None));
        Assert.Equal($"Could not open '{_sysfs.Sys}/class/scsi_host/host7/scan' to trigger host scan: No such file or directory", e.Display);
        Assert.False(_host.Pools.Info("hba0").Active);
    }

    [Fact]
    public void OnlyOneMpathPoolPerHost()
    {
        _host.Pools.Define(Golden("pool-mpath.xml"));
        var e = Assert.Throws<StorageException>(() => _host.Pools.Define(Golden("pool-mpath.xml")
            .Replace("<name>mpath</name>", "<name>mpath2</name>").Replace("e9392370-2917-565e-692b-d057f46512d6", "0f7e0a5c-7c2b-4bb6-9e7c-5b0b1e0c3f11")));
        Assert.Equal("operation failed: Storage source conflict with pool: 'mpath'", e.Display);
    }

    [Fact]
    public void MpathPoolStartsAndListsMaps()
    {
        _sysfs.DeviceMapper();
        _runner.On(DmsetupTool.ListCommand().ToString(), 0, Read("dmsetup-ls-multipath.txt"));
        _runner.On(DmsetupTool.TableCommand("mpatha").ToString(), 0, Read("dmsetup-table-mpatha.txt"));
        _runner.On(DmsetupTool.TableCommand("mpathb").ToString(), 0, Read("dmsetup-table-linear.txt"));
        _host.Pools.Define(Golden("pool-mpath.xml"));
        _host.Pools.Start("mpath", PoolBuildFlags.None);
        Assert.Equal("dm-2", Assert.Single(_host.Volumes.List("mpath")).Name);
        Assert.Equal("dm-2", _host.Lookup.VolumeByPath("/dev/mapper/mpatha").Name);
        Assert.Equal(8UL << 20, _host.Pools.Info("mpath").Capacity);
    }

    [Fact]
    public void PoolCapabilitiesListScsiAndMpathAsSupported()
    {
        using var state = new TempStateDirectory();
        string caps = state.OpenHost().Pools.GetCapabilitiesXml();
        Assert.Contains("<pool type='scsi' supported='yes'>", caps);
        Assert.Contains("<pool type='mpath' supported='yes'>", caps);
    }
}
