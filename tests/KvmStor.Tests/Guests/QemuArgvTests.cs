using KvmStor.Guests;
using KvmStor.Model;

namespace KvmStor.Tests.Guests;

public class QemuArgvTests
{
    private static readonly Dictionary<string, PoolVolume> Volumes = new()
    {
        ["dirpool/a.qcow2"] = new(Pool(PoolType.Dir, "dirpool", target: "/var/lib/images"), Vol("a.qcow2", "/var/lib/images/a.qcow2", "qcow2")),
        ["fspool/b.img"] = new(Pool(PoolType.Fs, "fspool", target: "/mnt/fs"), Vol("b.img", "/mnt/fs/b.img", "raw")),
        ["netfs/c.img"] = new(Pool(PoolType.NetFs, "netfs", target: "/mnt/nfs"), Vol("c.img", "/mnt/nfs/c.img", "raw")),
        ["vg/lv1"] = new(Pool(PoolType.Logical, "vg", target: "/dev/vg"), Vol("lv1", "/dev/vg/lv1", null)),
        ["sdb/sdb1"] = new(Pool(PoolType.Disk, "sdb", target: "/dev"), Vol("sdb1", "/dev/sdb1", "none")),
        ["iscsi/unit:0:0:1"] = new(Pool(PoolType.Iscsi, "iscsi", target: "/dev/disk/by-path", host: "10.0.0.5", device: "iqn.2024-01.org.example:t1"),
            Vol("unit:0:0:1", "/dev/disk/by-path/ip-10.0.0.5:3260-iscsi-iqn.2024-01.org.example:t1-lun-1", null)),
        ["direct/unit:0:0:2"] = new(Pool(PoolType.IscsiDirect, "direct", host: "10.0.0.6", port: 3261, device: "iqn.2024-01.org.example:t2") with
            { Source = new PoolSource { Hosts = [new("10.0.0.6", 3261)], Devices = [new() { Path = "iqn.2024-01.org.example:t2" }], InitiatorIqn = "iqn.2024-01.org.example:init" } },
            Vol("unit:0:0:2", "ip-10.0.0.6:3261-iscsi-iqn.2024-01.org.example:t2-lun-2", null)),
        ["ceph/img1"] = new(Pool(PoolType.Rbd, "ceph", host: "127.0.0.1", name: "rbdpool") with
            { Source = new PoolSource { Hosts = [new("127.0.0.1", null)], Name = "rbdpool", Auth = new PoolAuth { Type = AuthType.Ceph, Username = "admin" } } },
            Vol("img1", "rbdpool/img1", "raw")),
        ["gv/disk.qcow2"] = new(Pool(PoolType.Gluster, "gv", host: "127.0.0.1", name: "gv0") with
            { Source = new PoolSource { Hosts = [new("127.0.0.1", null)], Name = "gv0", Dir = "/vms" } },
            Vol("disk.qcow2", "gluster://127.0.0.1/gv0/vms/disk.qcow2", "qcow2")),
        ["sheep/s1"] = new(Pool(PoolType.Sheepdog, "sheep", host: "127.0.0.1"), Vol("s1", "sheep/s1", "raw")),
        ["tank/vm1"] = new(Pool(PoolType.Zfs, "tank", target: "/dev/zvol/tank"), Vol("vm1", "/dev/zvol/tank/vm1", null)),
        ["vz/d.qcow2"] = new(Pool(PoolType.Vstorage, "vz", target: "/mnt/vstorage"), Vol("d.qcow2", "/mnt/vstorage/d.qcow2", "qcow2")),
    };

    private static PoolDefinition Pool(PoolType type, string poolName, string? target = null, string? host = null, int? port = null, string? device = null, string? name = null) => new()
    {
        Type = type,
        Name = poolName,
        Target = target is null ? null : new PoolTarget { Path = target },
        Source = new PoolSource
        {
            Hosts = host is null ? [] : [new PoolSourceHost(host, port)],
            Devices = device is null ? [] : [new PoolSourceDevice { Path = device }],
            Name = name,
        },
    };

    private static VolumeDefinition Vol(string name, string path, string? format) =>
        new() { Name = name, Target = new VolumeTarget { Path = path, Format = format } };

    private static PoolVolume Find(string pool, string volume) =>
        Volumes.TryGetValue($"{pool}/{volume}", out var found) ? found
            : throw new StorageException(ErrorCode.NoStorageVolume, $"no storage vol with matching name '{volume}'");

    private const string SecretUuid = "5f0c2a4e-8d1b-4c3a-9e7f-0123456789ab";

    /// <summary>Where the secret store would keep the value of the secret a pool's &lt;auth&gt; names.</summary>
    private static string SecretFile(PoolDefinition pool, PoolAuth auth) => $"/run/kvmstor/sec,rets/{SecretUuid}.base64";

    private static IReadOnlyList<string> Argv(string devices, string os = "") =>
        new QemuArgvBuilder(new DiskSourceResolver(Find, SecretFile)).Build(DomainDocument.Parse(
            $"<domain type='kvm'><name>g</name><memory unit='MiB'>128</memory><vcpu>2</vcpu><os><type machine='pc'>hvm</type>{os}</os><devices>{devices}</devices></domain>"));

    private static string Disk(string type, string source, string target = "vda", string extra = "") =>
        $"<disk type='{type}' device='disk'>{extra}{source}<target dev='{target}' bus='virtio'/></disk>";

    private static string Blockdevs(IReadOnlyList<string> argv) =>
        string.Join("\n", argv.Select((a, i) => (a, i)).Where(x => x.i > 0 && argv[x.i - 1] == "-blockdev").Select(x => x.a));

    [Fact]
    public void MachinePartIsMinimalAndRunnable()
    {
        var argv = Argv("", "<kernel>/k</kernel><initrd>/i</initrd><cmdline>console=ttyS0</cmdline>");
        Assert.Equal(["qemu-system-x86_64", "-name", "guest=g", "-machine", "pc", "-accel", "kvm", "-m", "128", "-smp", "2",
            "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot", "-serial", "stdio",
            "-kernel", "/k", "-initrd", "/i", "-append", "console=ttyS0"], argv);
    }

    [Fact]
    public void QemuDomainTypeMeansEmulation()
    {
        var argv = new QemuArgvBuilder(new DiskSourceResolver(Find)).Build(DomainDocument.Parse("<domain type='qemu'><name>t</name></domain>"));
        Assert.Equal("tcg", argv[argv.ToList().IndexOf("-accel") + 1]);
    }

    [Theory]
    [InlineData("file", "<source file='/img/a,b.raw'/>", "driver=file,filename=/img/a,,b.raw,node-name=disk0-storage,discard=unmap\ndriver=raw,node-name=disk0-format,file=disk0-storage,discard=unmap")]
    [InlineData("block", "<source dev='/dev/sdz'/>", "driver=host_device,filename=/dev/sdz,node-name=disk0-storage,discard=unmap\ndriver=raw,node-name=disk0-format,file=disk0-storage,discard=unmap")]
    [InlineData("network", "<source protocol='rbd' name='pool/img'><host name='mon1' port='6789'/><host name='mon2'/></source>", "driver=rbd,pool=pool,image=img,server.0.host=mon1,server.0.port=6789,server.1.host=mon2,server.1.port=6789,node-name=disk0-storage,discard=unmap")]
    [InlineData("network", "<source protocol='gluster' name='gv0/dir/x.img'><host name='g1'/></source>", "driver=gluster,volume=gv0,path=dir/x.img,server.0.type=inet,server.0.host=g1,server.0.port=24007,node-name=disk0-storage")]
    [InlineData("network", "<source protocol='iscsi' name='iqn.2024-01.org.example:t/3'><host name='10.1.1.1'/></source>", "driver=iscsi,transport=tcp,portal=10.1.1.1:3260,target=iqn.2024-01.org.example:t,lun=3,node-name=disk0-storage")]
    [InlineData("network", "<source protocol='nbd' name='exp'><host name='localhost' port='10810'/></source>", "driver=nbd,server.type=inet,server.host=localhost,server.port=10810,export=exp,node-name=disk0-storage")]
    [InlineData("network", "<source protocol='https' name='/images/x.iso'><host name='example.org'/></source>", "driver=https,url=https://example.org/images/x.iso,node-name=disk0-storage")]
    public void EachSourceFormResolvesToABlockNode(string type, string source, string expectedStart)
    {
        Assert.StartsWith(expectedStart, Blockdevs(Argv(Disk(type, source))));
    }

    [Theory]
    [InlineData("dirpool", "a.qcow2", "driver=file,filename=/var/lib/images/a.qcow2", "driver=qcow2")]
    [InlineData("fspool", "b.img", "driver=file,filename=/mnt/fs/b.img", "driver=raw")]
    [InlineData("netfs", "c.img", "driver=file,filename=/mnt/nfs/c.img", "driver=raw")]
    [InlineData("vg", "lv1", "driver=host_device,filename=/dev/vg/lv1", "driver=raw")]
    [InlineData("sdb", "sdb1", "driver=host_device,filename=/dev/sdb1", "driver=raw")]
    [InlineData("iscsi", "unit:0:0:1", "driver=host_device,filename=/dev/disk/by-path/ip-10.0.0.5:3260-iscsi-iqn.2024-01.org.example:t1-lun-1", "driver=raw")]
    [InlineData("direct", "unit:0:0:2", "driver=iscsi,transport=tcp,portal=10.0.0.6:3261,target=iqn.2024-01.org.example:t2,lun=2,initiator-name=iqn.2024-01.org.example:init", "driver=raw")]
    [InlineData("ceph", "img1", "driver=rbd,pool=rbdpool,image=img1,server.0.host=127.0.0.1,server.0.port=6789,user=admin,key-secret=secret-" + SecretUuid, "driver=raw")]
    [InlineData("gv", "disk.qcow2", "driver=gluster,volume=gv0,path=vms/disk.qcow2,server.0.type=inet,server.0.host=127.0.0.1,server.0.port=24007", "driver=qcow2")]
    [InlineData("tank", "vm1", "driver=host_device,filename=/dev/zvol/tank/vm1", "driver=raw")]
    [InlineData("vz", "d.qcow2", "driver=file,filename=/mnt/vstorage/d.qcow2", "driver=qcow2")]
    public void PoolVolumesResolveByPoolType(string pool, string volume, string protocol, string format)
    {
        var nodes = Blockdevs(Argv(Disk("volume", $"<source pool='{pool}' volume='{volume}'/>"))).Split('\n');
        Assert.Equal(protocol + ",node-name=disk0-storage,discard=unmap", nodes[0]);
        Assert.Equal(format + ",node-name=disk0-format,file=disk0-storage,discard=unmap", nodes[1]);
    }

    [Fact]
    public void RbdVolumeReferencesTheCephxKeyThroughASecretObjectReadFromItsFile()
    {
        var argv = Argv(Disk("volume", "<source pool='ceph' volume='img1'/>"));
        int objectAt = argv.ToList().IndexOf("-object");
        Assert.Equal($"secret,id=secret-{SecretUuid},format=base64,file=/run/kvmstor/sec,,rets/{SecretUuid}.base64", argv[objectAt + 1]);
        var nodes = Blockdevs(argv).Split('\n');
        Assert.Equal($"driver=rbd,pool=rbdpool,image=img1,server.0.host=127.0.0.1,server.0.port=6789,user=admin,key-secret=secret-{SecretUuid},"
            + "node-name=disk0-storage,discard=unmap", nodes[0]);
        // The secret object comes before the node that needs it.
        Assert.True(objectAt < argv.ToList().IndexOf("-blockdev"));
    }

    [Fact]
    public void IscsiVolumeInDirectModeUsesQemusInitiator()
    {
        var nodes = Blockdevs(Argv(Disk("volume", "<source pool='iscsi' volume='unit:0:0:1' mode='direct'/>")));
        Assert.StartsWith("driver=iscsi,transport=tcp,portal=10.0.0.5:3260,target=iqn.2024-01.org.example:t1,lun=1,", nodes);
    }

    [Fact]
    public void DevicesFollowTheBusAndOptions()
    {
        var argv = Argv(
            "<disk type='file' device='disk'><driver name='qemu' type='qcow2' cache='none' io='native'/><source file='/a'/><target dev='vda' bus='virtio'/><serial>S1</serial></disk>"
            + "<disk type='file' device='disk'><source file='/b'/><target dev='sda' bus='scsi'/><readonly/><wwn>0x5000c50015ea71ac</wwn></disk>"
            + "<disk type='file' device='cdrom'><source file='/c.iso'/><target dev='sdb' bus='sata'/></disk>"
            + "<disk type='file' device='cdrom'><target dev='hdc' bus='ide'/></disk>"
            + "<disk type='file' device='disk'><source file='/u'/><target dev='sdc' bus='usb'/><shareable/></disk>");
        string line = string.Join(" ", argv);
        Assert.Contains("-blockdev driver=file,filename=/a,node-name=disk0-storage,cache.direct=on,cache.no-flush=off,discard=unmap,aio=native", line);
        Assert.Contains("-blockdev driver=qcow2,node-name=disk0-format,file=disk0-storage,cache.direct=on,cache.no-flush=off,discard=unmap", line);
        Assert.Contains("-device virtio-blk-pci,drive=disk0-format,id=disk0,serial=S1,write-cache=on", line);
        Assert.Contains("driver=file,filename=/b,node-name=disk1-storage,read-only=on,discard=unmap", line);
        Assert.Contains("-device virtio-scsi-pci,id=scsi0 -device scsi-hd,bus=scsi0.0,scsi-id=0,drive=disk1-format,id=disk1,wwn=0x5000c50015ea71ac", line);
        Assert.Contains("-device ahci,id=sata0 -device ide-cd,bus=sata0.0,drive=disk2-format,id=disk2", line);
        Assert.Contains("-device ide-cd,bus=ide.1,unit=0,id=disk3", line);
        Assert.Contains("-device qemu-xhci,id=usb -device usb-storage,bus=usb.0,drive=disk4-format,id=disk4,share-rw=on", line);
    }

    [Theory]
    [InlineData("<disk type='volume' device='disk'><source pool='nope' volume='x'/><target dev='vda'/></disk>", "Storage volume not found: no storage vol with matching name 'x'")]
    [InlineData("<disk type='volume' device='disk'><source pool='sheep' volume='s1'/><target dev='vda'/></disk>", "unsupported configuration: disk 'vda': qemu has no sheepdog driver since qemu 6.0 (this host's qemu 7.2 cannot open sheepdog volumes)")]
    [InlineData("<disk type='network' device='disk'><source protocol='sheepdog' name='s1'><host name='h' port='7000'/></source><target dev='vda'/></disk>", "unsupported configuration: disk 'vda': qemu has no sheepdog driver since qemu 6.0 (this host's qemu 7.2 cannot open sheepdog volumes)")]
    [InlineData("<disk type='network' device='disk'><source protocol='rbd' name='noslash'/><target dev='vda'/></disk>", "XML error: disk 'vda': rbd source name must be pool/image")]
    [InlineData("<disk type='network' device='disk'><source protocol='iscsi' name='iqn'/><target dev='vda'/></disk>", "XML error: disk 'vda': missing source host")]
    [InlineData("<disk type='network' device='disk'><source protocol='tftp' name='x'><host name='h'/></source><target dev='vda'/></disk>", "unsupported configuration: disk 'vda': network protocol 'tftp' is not supported")]
    [InlineData("<disk type='file' device='disk'><target dev='vda'/></disk>", "XML error: disk 'vda' has no source")]
    [InlineData("<disk type='file' device='cdrom'><source file='/x'/><target dev='vda'/></disk>", "unsupported configuration: disk type 'virtio' of 'vda' does not support ejectable media")]
    public void UnresolvableDisksAreClearErrors(string disk, string error)
    {
        Assert.Equal(error, Assert.Throws<StorageException>(() => Argv(disk)).Display);
    }

    [Fact]
    public void IdeIsRefusedOnQ35()
    {
        var e = Assert.Throws<StorageException>(() => new QemuArgvBuilder(new DiskSourceResolver(Find)).Build(DomainDocument.Parse(
            "<domain type='kvm'><name>g</name><os><type machine='q35'>hvm</type></os><devices><disk type='file'><source file='/a'/><target dev='hda' bus='ide'/></disk></devices></domain>")));
        Assert.Equal("unsupported configuration: IDE controllers are unsupported for this QEMU binary or machine type", e.Display);
    }
}
