using KvmStor.Model;
using KvmStor.Xml;

namespace KvmStor.Conformance;

/// <summary>
/// Which pool each golden volume document belongs to, as libvirt's storagevolxml2xmltest and
/// storagevolxml2argvtest pair them: pool-logical for vol-logical*, pool-disk for vol-partition,
/// pool-gluster for vol-gluster*, pool-dir for everything else. Only the pool type matters to the volume
/// parser (and the dir pool's target for relative backing paths; all golden backing paths are absolute).
/// </summary>
public static class VolumeConformanceCases
{
    public static string VolIn => Path.Combine(SharedData.LibvirtTests, "storagevolxml2xmlin");
    public static string VolOut => Path.Combine(SharedData.LibvirtTests, "storagevolxml2xmlout");
    public static string ArgvData => Path.Combine(SharedData.LibvirtTests, "storagevolxml2argvdata");

    /// <summary>target of pool-dir.xml after libvirt's path sanitising.</summary>
    public const string DirPoolTarget = "/var/lib/libvirt/images";

    public static PoolType PoolFor(string volName) =>
        volName.StartsWith("vol-logical", StringComparison.Ordinal) ? PoolType.Logical
        : volName.StartsWith("vol-partition", StringComparison.Ordinal) ? PoolType.Disk
        : volName.StartsWith("vol-gluster", StringComparison.Ordinal) ? PoolType.Gluster
        : PoolType.Dir;

    /// <summary>vol-qcow2-nocapacity is the one xml2xml case libvirt parses with VIR_VOL_XML_PARSE_NO_CAPACITY.</summary>
    public static VolumeParseOptions XmlToXmlOptions(string volName) =>
        volName == "vol-qcow2-nocapacity" ? VolumeParseOptions.NoCapacity : VolumeParseOptions.None;

    /// <summary>
    /// The volume input named by libvirt's tests. vol-qcow2's current input is missing from the copied data
    /// (only a stale one exists); its xmlout is a valid input that parses to the same volume, so it stands in.
    /// </summary>
    public static string InputPath(string volName)
    {
        string input = Path.Combine(VolIn, volName + ".xml");
        return File.Exists(input) ? input : Path.Combine(VolOut, volName + ".xml");
    }

    public static IEnumerable<string> Names(string dir) =>
        Directory.GetFiles(dir, "*.xml").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal)!;
}
