using KvmStor.Model;

namespace KvmStor.Tests.Xml;

public class VolumeFormatsTests
{
    [Fact]
    public void FileFormatsInLibvirtOrder()
    {
        Assert.Equal(17, VolumeFormats.FileFormats.Count);
        Assert.Equal("none", VolumeFormats.FileFormats[0]);
        Assert.Equal("qcow2", VolumeFormats.FileFormats[14]);
        Assert.Equal(["cow", "qcow", "qcow2", "qed", "vmdk"], VolumeFormats.FileFormats.Skip(12));
    }

    [Theory]
    [InlineData("qcow2", true)]
    [InlineData("vmdk", true)]
    [InlineData("raw", false)]
    [InlineData("iso", false)]
    [InlineData(null, false)]
    public void BackingCapableFormats(string? format, bool expected) =>
        Assert.Equal(expected, VolumeFormats.CanHaveBackingStore(format));

    [Theory]
    [InlineData("none", "ext2")]
    [InlineData("linux-lvm", "ext2")]
    [InlineData("fat32", "fat32")]
    [InlineData("extended", "extended")]
    [InlineData("swap", null)]
    public void PartedFsTypes(string partition, string? parted) => Assert.Equal(parted, VolumeFormats.PartedFsType(partition));

    [Theory]
    [InlineData(PoolType.Dir, "raw", 17)]
    [InlineData(PoolType.Fs, "raw", 17)]
    [InlineData(PoolType.NetFs, "raw", 17)]
    [InlineData(PoolType.Gluster, "raw", 17)]
    [InlineData(PoolType.Vstorage, "raw", 17)]
    [InlineData(PoolType.Rbd, "raw", 0)]
    [InlineData(PoolType.Disk, "none", 8)]
    [InlineData(PoolType.Logical, null, 0)]
    [InlineData(PoolType.Iscsi, null, 0)]
    [InlineData(PoolType.IscsiDirect, null, 0)]
    [InlineData(PoolType.Scsi, null, 0)]
    [InlineData(PoolType.Mpath, null, 0)]
    [InlineData(PoolType.Sheepdog, null, 0)]
    [InlineData(PoolType.Zfs, null, 0)]
    public void RulesPerPoolType(PoolType pool, string? defaultFormat, int listed)
    {
        var rule = VolumeFormats.RuleFor(pool);
        Assert.Equal(defaultFormat, rule.DefaultFormat);
        Assert.Equal(listed, rule.CapabilityValues.Count);
    }

    [Fact]
    public void NoneIsInputOnlyForPartitions()
    {
        Assert.False(VolumeFormats.RuleFor(PoolType.Dir).Accepts("none"));
        Assert.True(VolumeFormats.RuleFor(PoolType.Disk).Accepts("none"));
        Assert.True(VolumeFormats.RuleFor(PoolType.Rbd).Accepts("qcow2"));
        Assert.False(VolumeFormats.RuleFor(PoolType.Logical).Accepts("raw"));
    }
}
