using KvmStor.Backends;
using KvmStor.Backends.Sheepdog;
using KvmStor.Backends.Vstorage;
using KvmStor.Backends.Zfs;
using KvmStor.Model;
using KvmStor.Xml;

namespace KvmStor.Tests.Backends;

/// <summary>
/// sheepdog, zfs and vstorage through the engine: registered and shown as supported, pool XML kept as libvirt prints
/// it, and the capability table turning what a backend cannot do into libvirt's "does not support" errors.
/// </summary>
public sealed class SheepdogZfsVstorageEngineTests : IDisposable
{
    private const string SheepdogXml =
        "<pool type='sheepdog'>\n  <name>sheepdog</name>\n  <uuid>65fcba04-5b13-bd93-cff3-52ce48e11ad7</uuid>\n" +
        "  <source>\n    <host name='localhost' port='7000'/>\n    <name>sheepdog</name>\n  </source>\n</pool>\n";

    private readonly TempStateDirectory _state = new();

    public void Dispose() => _state.Dispose();

    [Theory]
    [InlineData(PoolType.Sheepdog)]
    [InlineData(PoolType.Zfs)]
    [InlineData(PoolType.Vstorage)]
    public void DefaultRegistryShowsTheTypeAsSupported(PoolType type)
    {
        var registry = BackendRegistry.CreateDefault();
        Assert.Equal(type, registry.Find(type)!.Type);
        Assert.Contains($"<pool type='{type.ToXmlName()}' supported='yes'>", PoolCapabilitiesXml.Format(registry.IsSupported));
    }

    [Fact]
    public void AGuestWithAZvolAsBlockDiskCountsAsUsingThatVolume()
    {
        var host = _state.OpenHost(BackendRegistry.CreateDefault());
        host.Pools.Define("<pool type='zfs'><name>tank</name><source><name>tank/vms</name></source></pool>");
        host.Guests.Define("<domain type='kvm'><name>vm1</name><memory>65536</memory><devices>" +
            "<disk type='block' device='disk'><source dev='/dev/zvol/tank/vms/root'/><target dev='vda' bus='virtio'/></disk>" +
            "</devices></domain>");
        Assert.Equal([new KvmStor.Guests.GuestDiskUse("vm1", "vda", "tank", "root")], host.Guests.Using("tank", "root"));
        Assert.Empty(host.Guests.Using("tank", "other"));
    }

    [Fact]
    public void SheepdogPoolXmlRoundTripsWithoutATarget()
    {
        string expected = SheepdogXml.Replace("  <source>", "  <capacity unit='bytes'>0</capacity>\n  <allocation unit='bytes'>0</allocation>\n  <available unit='bytes'>0</available>\n  <source>");
        Assert.Equal(expected, PoolXml.Format(PoolXml.Parse(SheepdogXml)));
    }

    [Fact]
    public void SheepdogPoolRunsAndRefusesWhatDogCannotDo()
    {
        var dog = new ReplayRunner("dog")
            .On("dog node info -r -a localhost -p 7000", 0, RecordedOutput.Read("Sheepdog", "node-info-r.txt"))
            .On("dog vdi list -r -a localhost -p 7000", 0, RecordedOutput.Read("Sheepdog", "vdi-list-r.txt"))
            .On("dog vdi list alice -r -a localhost -p 7000", 0, RecordedOutput.Read("Sheepdog", "vdi-list-r-alice.txt"));
        var registry = new BackendRegistry();
        registry.Register(new SheepdogPoolBackend(dog));
        var host = _state.OpenHost(registry);
        host.Pools.Define(SheepdogXml);
        host.Pools.Start("sheepdog", PoolBuildFlags.None);

        Assert.Contains("<capacity unit='bytes'>161061273600</capacity>", host.Pools.GetXml("sheepdog", inactive: false));
        var alice = host.Lookup.VolumeByName("sheepdog", "alice");
        Assert.Equal("sheepdog/alice", alice.Volume.Key);
        Assert.Equal("<volume type='network'>\n  <name>alice</name>\n  <key>sheepdog/alice</key>\n" +
            "  <capacity unit='bytes'>10737418240</capacity>\n  <allocation unit='bytes'>2147483648</allocation>\n" +
            "  <target>\n    <path>alice</path>\n  </target>\n</volume>\n", host.Volumes.GetXml(alice));

        var upload = Assert.Throws<StorageException>(() => host.Volumes.Upload(alice, new MemoryStream([1]), new TransferRange(0, 0, false)));
        Assert.Equal("this function is not supported by the connection driver: storage pool doesn't support volume upload", upload.Display);
        var sources = Assert.Throws<StorageException>(() => host.Pools.FindSources("sheepdog", null));
        Assert.Equal("this function is not supported by the connection driver: pool type 'sheepdog' does not support source discovery", sources.Display);
        host.Pools.Destroy("sheepdog");
        var delete = Assert.Throws<StorageException>(() => host.Pools.Delete("sheepdog"));
        Assert.Equal("this function is not supported by the connection driver: pool does not support pool deletion", delete.Display);
    }

    [Fact]
    public void ZfsPoolListsZvolsAndRefusesSourceDiscovery()
    {
        var zfs = new ReplayRunner("zfs", "zpool")
            .On("zpool get -Hp health,size,free,allocated tank", 0, RecordedOutput.Read("Zfs", "zpool-get-tank.txt"))
            .On("zfs list -Hp -t volume -r -o name,volsize,refreservation tank", 0, RecordedOutput.Read("Zfs", "zfs-list-volumes-tank.txt"));
        var registry = new BackendRegistry();
        registry.Register(new ZfsPoolBackend(zfs));
        var host = _state.OpenHost(registry);
        host.Pools.Define("<pool type='zfs'><name>zp</name><source><name>tank</name></source></pool>");
        host.Pools.Start("zp", PoolBuildFlags.None);

        Assert.Equal(["half", "thin", "vm1"], host.Volumes.List("zp").Select(v => v.Name));
        var vm1 = host.Lookup.VolumeByPath("/dev/zvol/tank/vm1");
        Assert.Equal("<volume type='block'>\n  <name>vm1</name>\n  <key>/dev/zvol/tank/vm1</key>\n" +
            "  <capacity unit='bytes'>21474836480</capacity>\n  <allocation unit='bytes'>21474836480</allocation>\n" +
            "  <target>\n    <path>/dev/zvol/tank/vm1</path>\n  </target>\n</volume>\n", host.Volumes.GetXml(vm1));
        var sources = Assert.Throws<StorageException>(() => host.Pools.FindSources("zfs", null));
        Assert.Equal("this function is not supported by the connection driver: pool type 'zfs' does not support source discovery", sources.Display);
    }

    [Fact]
    public void VstorageCapabilitiesAreThoseOfAMountedFilePool()
    {
        var caps = new VstoragePoolBackend(new ReplayRunner()).Capabilities;
        Assert.False(caps.HasFlag(BackendCapabilities.FindSources));
        Assert.True(caps.HasFlag(BackendCapabilities.Start | BackendCapabilities.Stop | BackendCapabilities.CreateVolumeFrom
            | BackendCapabilities.UploadVolume | BackendCapabilities.WipeVolume | BackendCapabilities.ResizeVolume));
    }
}
