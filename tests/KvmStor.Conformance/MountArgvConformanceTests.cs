using KvmStor.Backends.Fs;
using KvmStor.Xml;

namespace KvmStor.Conformance;

/// <summary>
/// libvirt's storagepoolxml2argvtest for fs and netfs pools: the mount command built for each pool XML, rendered
/// as virCommandToStringFull does, equals the Linux golden file byte for byte (the -linux variant when one exists,
/// which it does for every mount case; the pool comes from storagepoolxml2xmlin, or xmlout where the input was not
/// copied).
/// </summary>
public class MountArgvConformanceTests
{
    private static string ArgvData => Path.Combine(SharedData.LibvirtTests, "storagepoolxml2argvdata");

    private static readonly string[] Cases =
    [
        "pool-fs", "pool-netfs", "pool-netfs-auto", "pool-netfs-cifs", "pool-netfs-gluster",
        "pool-netfs-ns-mountopts", "pool-netfs-protocol-ver",
    ];

    public static TheoryData<string> MountCases() => new(Cases);

    [Fact]
    public void EveryFsAndNetfsGoldenFileHasACase()
    {
        var names = Directory.GetFiles(ArgvData, "pool-*fs*.argv")
            .Select(f => Path.GetFileNameWithoutExtension(f)!)
            .Select(n => n.EndsWith("-linux") ? n[..^6] : n.EndsWith("-freebsd") ? n[..^8] : n)
            .Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.Equal(Cases.Order(StringComparer.Ordinal), names);
    }

    [Theory]
    [MemberData(nameof(MountCases))]
    public void MountCommandMatchesLinuxGoldenFile(string name)
    {
        var pool = PoolXml.Parse(File.ReadAllText(PoolInput(name)));
        string expected = File.ReadAllText(GoldenFile(name));
        Assert.Equal(expected, MountCommand.Mount(pool).ToArgvString());
    }

    [Theory]
    [MemberData(nameof(MountCases))]
    public void MountRunsTheRealMountProgram(string name)
    {
        var pool = PoolXml.Parse(File.ReadAllText(PoolInput(name)));
        Assert.Equal("/bin/mount", MountCommand.Mount(pool).Program);
    }

    private static string GoldenFile(string name)
    {
        string linux = Path.Combine(ArgvData, name + "-linux.argv");
        return File.Exists(linux) ? linux : Path.Combine(ArgvData, name + ".argv");
    }

    private static string PoolInput(string name)
    {
        string input = Path.Combine(SharedData.LibvirtTests, "storagepoolxml2xmlin", name + ".xml");
        return File.Exists(input) ? input : Path.Combine(SharedData.LibvirtTests, "storagepoolxml2xmlout", name + ".xml");
    }
}
