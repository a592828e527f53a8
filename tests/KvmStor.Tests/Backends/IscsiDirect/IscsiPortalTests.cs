using KvmStor.Backends.IscsiDirect;
using KvmStor.Model;

namespace KvmStor.Tests.Backends.IscsiDirect;

public sealed class IscsiPortalTests
{
    [Fact]
    public void Keys_and_paths_are_libvirts()
    {
        var portal = IscsiPortal.From(new PoolSourceHost("127.0.0.1", 3260));
        Assert.Equal("ip-127.0.0.1:3260-iscsi-iqn.2024-01.test.lvref:target1-lun-1", portal.VolumeKey("iqn.2024-01.test.lvref:target1", 1));
        Assert.Equal("127.0.0.1:3260", IscsiPortal.From(new PoolSourceHost("127.0.0.1")).ToString());
        Assert.Equal("[::1]:3261", IscsiPortal.From(new PoolSourceHost("::1", 3261)).ToString());
    }

    [Fact]
    public void Volume_names_map_to_luns()
    {
        Assert.Equal("unit:0:0:7", IscsiPortal.VolumeName(7));
        Assert.Equal(7, IscsiPortal.LunOf("unit:0:0:7"));
        Assert.Null(IscsiPortal.LunOf("unit:0:0:"));
        Assert.Null(IscsiPortal.LunOf("unit:0:0:-1"));
        Assert.Null(IscsiPortal.LunOf("lun1"));
    }

    [Fact]
    public void Capacity_is_the_true_size_of_the_lun_and_non_disks_are_empty()
    {
        var portal = new IscsiPortal("127.0.0.1", 3260);
        // A 256 MiB LUN: last LBA 524287, so 524288 blocks (libvirt 9.0 reports 524287 × 512 = 268434944).
        var disk = new IscsiLunInfo(1, 0, new ScsiCapacity(524287, 512, false, false)).ToVolume(portal, "iqn.2024-01.test.lvref:target1");
        Assert.Equal(268435456UL, disk.Capacity);
        Assert.Equal(268435456UL, disk.Allocation);
        var fourK = new IscsiLunInfo(2, 0, new ScsiCapacity(2047, 4096, false, false)).ToVolume(portal, "iqn.2024-01.test.lvref:target1");
        Assert.Equal(8UL << 20, fourK.Capacity);
        Assert.Equal(VolumeType.Network, disk.Type);
        var controller = new IscsiLunInfo(0, 0x0C, null).ToVolume(portal, "iqn.2024-01.test.lvref:target1");
        Assert.Equal(0UL, controller.Capacity);
        Assert.Equal("unit:0:0:0", controller.Name);
    }
}
