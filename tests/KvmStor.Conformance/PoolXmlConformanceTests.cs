using KvmStor.Model;
using KvmStor.Xml;

namespace KvmStor.Conformance;

/// <summary>libvirt's pool XML golden data: parse + format must reproduce libvirt 9.0 byte for byte.</summary>
public class PoolXmlConformanceTests
{
    private static string XmlIn => Path.Combine(SharedData.LibvirtTests, "storagepoolxml2xmlin");
    private static string XmlOut => Path.Combine(SharedData.LibvirtTests, "storagepoolxml2xmlout");

    /// <summary>The one xmlin without an xmlout: libvirt's schema test data, not its xml2xml test.</summary>
    private const string GlusterWithoutSlash = "pool-netfs-gluster-without-slash.xml";

    public static TheoryData<string> InputFiles() => Names(XmlIn, GlusterWithoutSlash);
    public static TheoryData<string> OutputFiles() => Names(XmlOut);

    /// <summary>libvirt-9.0-outputs pool documents captured from pool-dumpxml (virsh adds one "\n").</summary>
    public static TheoryData<string> DumpxmlFiles()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(SharedData.Libvirt90Outputs, "pool-*.xml").Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(f);
            if (name.Contains(".dumpxml", StringComparison.Ordinal) || name.Contains(".defined-inactive", StringComparison.Ordinal))
                data.Add(name);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(InputFiles))]
    public void Xml2XmlInput_FormatsAsLibvirt(string name)
    {
        var def = PoolXml.Parse(File.ReadAllText(Path.Combine(XmlIn, name)));
        Assert.Equal(File.ReadAllText(Path.Combine(XmlOut, name)), PoolXml.Format(def));
    }

    [Theory]
    [MemberData(nameof(OutputFiles))]
    public void Xml2XmlOutput_ReproducesItself(string name)
    {
        string expected = File.ReadAllText(Path.Combine(XmlOut, name));
        Assert.Equal(expected, PoolXml.Format(PoolXml.Parse(expected)));
    }

    [Fact]
    public void GlusterNetfsWithoutSlash_KeepsTheRelativeDir()
    {
        // libvirt accepts a relative <dir> for netfs (glusterfs/cifs) and prints it as given: the output is
        // pool-netfs-gluster's with 'volume' instead of '/volume'.
        var def = PoolXml.Parse(File.ReadAllText(Path.Combine(XmlIn, GlusterWithoutSlash)));
        string expected = File.ReadAllText(Path.Combine(XmlOut, "pool-netfs-gluster.xml"))
            .Replace("<dir path='/volume'/>", "<dir path='volume'/>", StringComparison.Ordinal);
        Assert.Equal("volume", def.Source.Dir);
        Assert.Equal(expected, PoolXml.Format(def));
    }

    [Theory]
    [MemberData(nameof(DumpxmlFiles))]
    public void Libvirt90Dumpxml_ReproducesItself(string name)
    {
        string expected = File.ReadAllText(Path.Combine(SharedData.Libvirt90Outputs, name));
        Assert.EndsWith("</pool>\n\n", expected);
        string document = expected[..^1]; // virsh prints the document followed by "\n"
        Assert.Equal(document, PoolXml.Format(PoolXml.Parse(document, PoolParseOptions.Runtime)));
    }

    [Theory]
    [MemberData(nameof(DumpxmlFiles))]
    public void Libvirt90Dumpxml_DefinitionParseDropsRuntimeData(string name)
    {
        string document = File.ReadAllText(Path.Combine(SharedData.Libvirt90Outputs, name))[..^1];
        var def = PoolXml.Parse(document);
        Assert.Equal((0ul, 0ul, 0ul), (def.Capacity, def.Allocation, def.Available));
        Assert.All(def.Source.Devices, d => Assert.Empty(d.FreeExtents));
    }

    [Fact]
    public void PersistentConfig_MatchesLibvirtWithVirshAndNamesKvmstorByDefault()
    {
        string expected = File.ReadAllText(Path.Combine(SharedData.Libvirt90Outputs, "pool-dir.persistent-config.xml"));
        var def = PoolStateXml.ParseConfig(expected);
        Assert.Equal("refdir", def.Name);
        Assert.Equal(expected, PoolStateXml.FormatConfig(def, tool: "virsh"));
        Assert.Equal(expected.Replace("  virsh pool-edit refdir\n", "  kvmstor pool-edit refdir\n", StringComparison.Ordinal),
            PoolStateXml.FormatConfig(def));
    }

    [Fact]
    public void RuntimeState_MatchesLibvirt()
    {
        string expected = File.ReadAllText(Path.Combine(SharedData.Libvirt90Outputs, "pool-dir.runtime-state.xml"));
        var def = PoolStateXml.ParseStatus(expected);
        Assert.Equal(new Guid("88cab2a4-0277-4839-9832-6381dfc7b450"), def.Uuid);
        Assert.Equal(expected, PoolStateXml.FormatStatus(def, tool: "virsh"));
    }

    [Fact]
    public void RuntimeState_KeepsLiveSizesAcrossARoundTrip()
    {
        string dump = File.ReadAllText(Path.Combine(SharedData.Libvirt90Outputs, "pool-disk-gpt-loop.dumpxml.xml"))[..^1];
        var live = PoolXml.Parse(dump, PoolParseOptions.Runtime);
        string state = PoolStateXml.FormatStatus(live);
        Assert.Contains("  kvmstor pool-edit refdisk\n", state);
        var back = PoolStateXml.ParseStatus(state);
        Assert.Equal(live.Capacity, back.Capacity);
        Assert.Equal(new FreeExtent(104875008, 1073724928), Assert.Single(back.Source.Devices[0].FreeExtents));
        Assert.Equal(dump, PoolXml.Format(back));
    }

    [Fact]
    public void PoolCapabilities_MatchesLibvirt90()
    {
        string virshOutput = File.ReadAllText(Path.Combine(SharedData.Libvirt90Outputs, "pool-capabilities.xml"));
        string document = PoolCapabilitiesXml.Format(t => t is not (PoolType.Sheepdog or PoolType.Vstorage));
        Assert.Equal(virshOutput, document + "\n");
    }

    [Fact]
    public void SourcesDocuments_MatchLibvirtTranscripts()
    {
        string logical = PoolSourceXmlForTranscript(PoolType.Logical, new PoolSource
        {
            Devices = [new PoolSourceDevice { Path = "/dev/loop1" }],
            Name = "refvg",
            Format = "lvm2",
        });
        Assert.Equal(TranscriptOutput("lvm.txt", "$ virsh find-storage-pool-sources logical"), logical);

        var spec = SourcesXml.ParseSourceSpec(
            PoolArgumentsXml.BuildSourceSpec(new PoolSourceQuery("127.0.0.1", "3260", "iqn.2024-01.test.lvref:initiator"))!,
            PoolType.IscsiDirect);
        string iscsi = PoolSourceXmlForTranscript(PoolType.IscsiDirect,
            spec with { Devices = [new PoolSourceDevice { Path = "iqn.2024-01.test.lvref:target1" }] });
        Assert.Equal(TranscriptOutput("iscsid.txt", "$ virsh find-storage-pool-sources iscsi-direct ./srcspec.xml"), iscsi);
    }

    [Fact]
    public void PrintXml_MatchesVirshTranscript()
    {
        string file = Path.Combine(SharedData.Root, "reference", "virsh-9.0.0-transcripts.txt");
        var netfs = new PoolArguments { Name = "p5", Type = "netfs", SourceHost = "h", Target = "/srv/demo/pools/p5" };
        var logical = new PoolArguments { Name = "p6", Type = "logical", SourceName = "vg", SourceDev = "/dev/sdz" };
        Assert.Equal(
            TranscriptOutput(file, "$ virsh pool-define-as p5 netfs --source-host h --target /srv/demo/pools/p5 --print-xml"),
            PoolArgumentsXml.BuildPool(netfs) + "\n");
        Assert.Equal(
            TranscriptOutput(file, "$ virsh pool-define-as p6 logical --print-xml --source-name vg --source-dev /dev/sdz"),
            PoolArgumentsXml.BuildPool(logical) + "\n");
        // What virsh prints is also what it defines from: it must parse (name defaults, forced target).
        Assert.Equal("/dev/vg", PoolXml.Parse(PoolArgumentsXml.BuildPool(logical)).TargetPath);
    }

    private static string PoolSourceXmlForTranscript(PoolType type, PoolSource source) => SourcesXml.Format(type, [source]) + "\n";

    /// <summary>The output lines of one command in a libvirt-9.0 transcript, up to its "[rc=N]" line.</summary>
    private static string TranscriptOutput(string file, string command)
    {
        string path = Path.IsPathRooted(file) ? file : Path.Combine(SharedData.Libvirt90Outputs, "transcripts", file);
        var lines = File.ReadAllLines(path);
        int start = Array.IndexOf(lines, command) + 1;
        Assert.True(start > 0, $"{command} not in {file}");
        int end = start;
        while (!lines[end].StartsWith("[rc=", StringComparison.Ordinal)) end++;
        return string.Concat(lines[start..end].Select(l => l + "\n"));
    }

    private static TheoryData<string> Names(string dir, params string[] except)
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(dir, "*.xml").Select(Path.GetFileName).Order(StringComparer.Ordinal))
            if (!except.Contains(f)) data.Add(f!);
        return data;
    }
}
