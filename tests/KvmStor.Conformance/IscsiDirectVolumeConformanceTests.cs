using KvmStor.Backends.IscsiDirect;
using KvmStor.Model;
using KvmStor.Xml;

namespace KvmStor.Conformance;

/// <summary>
/// iscsi-direct volumes as libvirt 9.0 printed them for tgtd's LUNs (libvirt-9.0-observed §3.6): a 256 MiB disk LUN
/// (READ CAPACITY: last LBA 524287, 512-byte blocks) and the LUN 0 controller, byte for byte.
/// </summary>
public sealed class IscsiDirectVolumeConformanceTests
{
    private static readonly IscsiPortal Portal = new("127.0.0.1", 3260);
    private const string Target = "iqn.2024-01.test.lvref:target1";

    [Theory]
    [InlineData("vol-iscsi-direct-lun.dumpxml.xml", 1, 0)]
    [InlineData("vol-iscsi-direct-lun0-controller.dumpxml.xml", 0, 0x0C)]
    public void Volume_xml_matches_libvirt(string golden, int lun, int deviceType)
    {
        ScsiCapacity? capacity = deviceType == 0 ? new ScsiCapacity(524287, 512, false, false) : null;
        var volume = new IscsiLunInfo(lun, deviceType, capacity).ToVolume(Portal, Target);
        string expected = File.ReadAllText(Path.Combine(SharedData.Libvirt90Outputs, golden));
        Assert.Equal(expected.TrimEnd('\n'), VolumeXml.Format(volume, PoolType.IscsiDirect).TrimEnd('\n'));
    }
}
