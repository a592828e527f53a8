using KvmStor.Backends.Fs;
using KvmStor.Host;
using KvmStor.Model;
using KvmStor.Xml;

namespace KvmStor.Tests.Backends;

/// <summary>find-storage-pool-sources fs (beyond libvirt): disks and partitions holding a mountable filesystem.</summary>
public sealed class FsSourceFinderTests
{
    // Shapes of real lsblk -P and blkid -p -o export output on this kind of machine.
    private const string Lsblk = """
        NAME="loop0" PATH="/dev/loop0" TYPE="loop" SIZE="67108864" RO="0"
        NAME="loop1" PATH="/dev/loop1" TYPE="loop" SIZE="67108864" RO="0"
        NAME="loop1p1" PATH="/dev/loop1p1" TYPE="part" SIZE="33554432" RO="0"
        NAME="sr0" PATH="/dev/sr0" TYPE="rom" SIZE="1073741824" RO="1"
        NAME="vda" PATH="/dev/vda" TYPE="disk" SIZE="274877906944" RO="0"

        """;

    private const string Blkid = """
        DEVNAME=/dev/loop0
        UUID=2b1c1a84-6a34-4a4b-9d7e-1f0b8e3a2c11
        BLOCK_SIZE=4096
        TYPE=ext4
        USAGE=filesystem

        DEVNAME=/dev/loop1
        PTUUID=9702b62c-5811-4975-be88-56d076aa1f10
        PTTYPE=gpt

        DEVNAME=/dev/loop1p1
        UUID=8c3e4d5f-1a2b-4c6d-8e9f-0a1b2c3d4e5f
        BLOCK_SIZE=512
        TYPE=xfs
        USAGE=filesystem

        DEVNAME=/dev/vda
        UUID=f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b
        VERSION=2
        TYPE=LVM2_member
        USAGE=raid

        """;

    [Fact]
    public void Lists_devices_with_a_mountable_filesystem_and_its_format()
    {
        var runner = new ReplayRunner()
            .Answer(BlockDevices.ListCommand(wholeDisksOnly: false), Lsblk)
            .Answer(DeviceProbe.BlkidCommand("/dev/loop0", "/dev/loop1", "/dev/loop1p1", "/dev/vda"), Blkid);
        Assert.Equal("""
            <sources>
              <source>
                <device path='/dev/loop0'/>
                <format type='ext4'/>
              </source>
              <source>
                <device path='/dev/loop1p1'/>
                <format type='xfs'/>
              </source>
            </sources>

            """, SourcesXml.Format(PoolType.Fs, new FsSourceFinder(runner).FindSources()));
    }

    [Fact]
    public void A_device_blkid_finds_nothing_on_does_not_hide_the_devices_after_it()
    {
        // blkid -p stops at the first device it finds nothing on (or cannot open) with exit 2, printing only what came
        // before: an empty loop device of someone else's listed first hid every filesystem after it.
        const string lsblk = """
            NAME="loop0" PATH="/dev/loop0" TYPE="loop" SIZE="268435456" RO="0"
            NAME="loop1" PATH="/dev/loop1" TYPE="loop" SIZE="536870912" RO="0"
            NAME="loop2" PATH="/dev/loop2" TYPE="loop" SIZE="268435456" RO="0"
            NAME="loop3" PATH="/dev/loop3" TYPE="loop" SIZE="536870912" RO="0"

            """;
        var runner = new ReplayRunner()
            .Answer(BlockDevices.ListCommand(wholeDisksOnly: false), lsblk)
            .Expect(DeviceProbe.BlkidCommand("/dev/loop0", "/dev/loop1", "/dev/loop2", "/dev/loop3").ToString(), "", exitCode: 2)
            .Expect(DeviceProbe.BlkidCommand("/dev/loop1", "/dev/loop2", "/dev/loop3").ToString(),
                "DEVNAME=/dev/loop1\nUUID=8c9acf77-5b87-4163-833e-c5e673a637eb\nTYPE=ext4\nUSAGE=filesystem\n", exitCode: 2,
                stderr: "blkid: error: /dev/loop2: Operation not permitted\n")
            .Expect(DeviceProbe.BlkidCommand("/dev/loop3").ToString(), "DEVNAME=/dev/loop3\nTYPE=xfs\nUSAGE=filesystem\n");
        Assert.Equal("""
            <sources>
              <source>
                <device path='/dev/loop1'/>
                <format type='ext4'/>
              </source>
              <source>
                <device path='/dev/loop3'/>
                <format type='xfs'/>
              </source>
            </sources>

            """, SourcesXml.Format(PoolType.Fs, new FsSourceFinder(runner).FindSources()));
        runner.AssertDone();
    }
}
