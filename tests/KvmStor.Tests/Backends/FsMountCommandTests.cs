using KvmStor.Backends.Fs;
using KvmStor.Xml;

namespace KvmStor.Tests.Backends;

/// <summary>Command lines beyond the golden files, checked against what libvirt 9.0 ran on this machine (libvirt-9.0-observed.md §3.2, §3.3).</summary>
public class FsMountCommandTests
{
    private static string Fs(string format) =>
        MountCommand.Mount(PoolXml.Parse($"<pool type='fs'><name>p</name><source><device path='/dev/loop0'/><format type='{format}'/></source><target><path>/srv/p</path></target></pool>")).ToString();

    private static string NetFs(string source) =>
        MountCommand.Mount(PoolXml.Parse($"<pool type='netfs' xmlns:fs='http://libvirt.org/schemas/storagepool/fs/1.0'><name>p</name><source>{source}</source><target><path>/srv/p</path></target>" +
                                         "<fs:mount_opts><fs:option name='vers=3.0'/></fs:mount_opts></pool>")).ToString();

    [Fact]
    public void FsAutoStillPassesDashTAuto() =>
        Assert.Equal("/bin/mount -o nodev,nosuid,noexec -t auto /dev/loop0 /srv/p", Fs("auto"));

    [Fact]
    public void FsXfsAsObserved() =>
        Assert.Equal("/bin/mount -o nodev,nosuid,noexec -t xfs /dev/loop0 /srv/p", Fs("xfs"));

    [Fact]
    public void CifsPutsGuestBeforeTheUsersOptions() =>
        Assert.Equal("/bin/mount -o nodev,nosuid,noexec,guest,vers=3.0 -t cifs //nas/share /srv/p",
            NetFs("<host name='nas'/><dir path='share'/><format type='cifs'/>"));

    [Fact]
    public void AutoWithAProtocolVersionHasNoType() =>
        Assert.Equal("/bin/mount -o nodev,nosuid,noexec,nfsvers=4.2,vers=3.0 nas:/export /srv/p",
            NetFs("<host name='nas'/><dir path='/export'/><format type='auto'/><protocol ver='4.2'/>"));

    [Fact]
    public void UmountNamesTheTarget() =>
        Assert.Equal("/bin/umount /srv/p",
            MountCommand.Unmount(PoolXml.Parse("<pool type='fs'><name>p</name><source><device path='/dev/loop0'/></source><target><path>/srv/p/</path></target></pool>")).ToString());

    [Theory]
    [InlineData("ext4", "/sbin/mkfs -t ext4 -F /dev/loop0")]
    [InlineData("xfs", "/sbin/mkfs -t xfs -f /dev/loop0")]
    [InlineData("vfat", "/sbin/mkfs -t vfat -I /dev/loop0")]
    [InlineData("gfs2", "/sbin/mkfs -t gfs2 /dev/loop0")]
    public void MkfsAsLibvirtRanIt(string format, string expected) =>
        Assert.Equal(expected, MkfsCommand.Format(format, "/dev/loop0").ToString());

    [Theory]
    [InlineData("ext2", "e2fsprogs")]
    [InlineData("xfs", "xfsprogs")]
    [InlineData("vfat", "dosfstools")]
    [InlineData("iso9660", null)]
    public void KnowsTheDebianPackageOfEachMkfsHelper(string format, string? package) =>
        Assert.Equal(package, MkfsCommand.DebianPackage(format));
}
