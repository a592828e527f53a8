using KvmStor.Backends.IscsiDirect;
using KvmStor.Model;
using KvmStor.Xml;

namespace KvmStor.Conformance;

/// <summary>
/// iscsi-direct volumes as libvirt 9.0 printed them for tgtd's LUNs (libvirt-9.0-observed §3.6): a 256 MiB disk LUN
/// (READ CAPACITY: last LBA 524287, 512-byte blocks) and the LUN 0 controller, byte for byte but for one deliberate
/// difference: the disk's size.
/// </summary>
public sealed class IscsiDirectVolumeConformanceTests
{
    private static readonly IscsiPortal Portal = new("127.0.0.1", 3260);
    private const string Target = "iqn.2024-01.test.lvref:target1";

    /// <summary>libvirt 9.0's size of the 256 MiB LUN: the last LBA taken for the block count, one block short.</summary>
    private const ulong LibvirtSize = 524287UL * 512;

    /// <summary>kvmstor's: (last LBA + 1) × block size, the LUN's true size and what vol-download returns (README's differences table).</summary>
    private const ulong TrueSize = 524288UL * 512;

    [Fact]
    public void Disk_lun_xml_is_libvirts_but_with_the_true_size()
    {
        string golden = File.ReadAllText(Path.Combine(SharedData.Libvirt90Outputs, "vol-iscsi-direct-lun.dumpxml.xml"));
        string libvirtSize = $"<capacity unit='bytes'>{LibvirtSize}</capacity>\n  <allocation unit='bytes'>{LibvirtSize}</allocation>";
        // The golden file is libvirt's own output, one block short; the difference is exactly these two numbers.
        Assert.Contains(libvirtSize, golden);
        string expected = golden.Replace(libvirtSize, $"<capacity unit='bytes'>{TrueSize}</capacity>\n  <allocation unit='bytes'>{TrueSize}</allocation>");

        var volume = new IscsiLunInfo(1, 0, new ScsiCapacity(524287, 512, false, false)).ToVolume(Portal, Target);
        Assert.Equal(expected.TrimEnd('\n'), VolumeXml.Format(volume, PoolType.IscsiDirect).TrimEnd('\n'));
    }

    [Fact]
    public void Controller_lun_xml_matches_libvirt()
    {
        string expected = File.ReadAllText(Path.Combine(SharedData.Libvirt90Outputs, "vol-iscsi-direct-lun0-controller.dumpxml.xml"));
        var volume = new IscsiLunInfo(0, 0x0C, null).ToVolume(Portal, Target);
        Assert.Equal(expected.TrimEnd('\n'), VolumeXml.Format(volume, PoolType.IscsiDirect).TrimEnd('\n'));
    }
}
