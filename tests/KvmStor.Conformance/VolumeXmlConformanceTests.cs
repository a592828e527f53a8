using KvmStor.Model;
using KvmStor.Xml;

namespace KvmStor.Conformance;

/// <summary>libvirt's storagevolxml2xmltest over the golden data, byte for byte.</summary>
public class VolumeXmlConformanceTests
{
    public static TheoryData<string> PairedCases()
    {
        var data = new TheoryData<string>();
        foreach (var name in VolumeConformanceCases.Names(VolumeConformanceCases.VolIn))
            if (File.Exists(Path.Combine(VolumeConformanceCases.VolOut, name + ".xml")))
                data.Add(name);
        return data;
    }

    public static TheoryData<string> OutputFiles()
    {
        var data = new TheoryData<string>();
        foreach (var name in VolumeConformanceCases.Names(VolumeConformanceCases.VolOut)) data.Add(name);
        return data;
    }

    public static TheoryData<string> InputsWithoutOutput()
    {
        var data = new TheoryData<string>();
        foreach (var name in VolumeConformanceCases.Names(VolumeConformanceCases.VolIn))
            if (!File.Exists(Path.Combine(VolumeConformanceCases.VolOut, name + ".xml")))
                data.Add(name);
        return data;
    }

    [Fact]
    public void EveryCaseIsFound()
    {
        Assert.Equal(13, PairedCases().Count);
        Assert.Equal(15, OutputFiles().Count);
        Assert.Equal(10, InputsWithoutOutput().Count);
    }

    [Theory, MemberData(nameof(PairedCases))]
    public void InputFormatsToGoldenOutput(string name)
    {
        var volume = VolumeXml.Parse(File.ReadAllText(Path.Combine(VolumeConformanceCases.VolIn, name + ".xml")),
            VolumeConformanceCases.PoolFor(name), VolumeConformanceCases.XmlToXmlOptions(name));
        string expected = File.ReadAllText(Path.Combine(VolumeConformanceCases.VolOut, name + ".xml"));
        Assert.Equal(expected, VolumeXml.Format(volume, VolumeConformanceCases.PoolFor(name)));
    }

    [Theory, MemberData(nameof(OutputFiles))]
    public void OutputReproducesItself(string name)
    {
        string expected = File.ReadAllText(Path.Combine(VolumeConformanceCases.VolOut, name + ".xml"));
        var pool = VolumeConformanceCases.PoolFor(name);
        Assert.Equal(expected, VolumeXml.Format(VolumeXml.Parse(expected, pool), pool));
    }

    /// <summary>Inputs whose current output is not in the data: parse, and formatting is a fixed point.</summary>
    [Theory, MemberData(nameof(InputsWithoutOutput))]
    public void InputWithoutGoldenOutputIsStable(string name)
    {
        var pool = VolumeConformanceCases.PoolFor(name);
        var options = name == "vol-qcow2-nocapacity-backing" ? VolumeParseOptions.OptionalCapacity : VolumeParseOptions.None;
        string once = VolumeXml.Format(
            VolumeXml.Parse(File.ReadAllText(Path.Combine(VolumeConformanceCases.VolIn, name + ".xml")), pool, options), pool);
        Assert.Equal(once, VolumeXml.Format(VolumeXml.Parse(once, pool, options), pool));
    }

    /// <summary>
    /// vol-partition's golden output is stale (old formatter: empty source, key "(null)"); MANIFEST.tsv says what
    /// the current one is: type='block', the given key, no &lt;source&gt;. The rest of the stale file still holds.
    /// </summary>
    [Fact]
    public void PartitionVolumeMatchesCurrentFormOfStaleOutput()
    {
        string stale = File.ReadAllText(Path.Combine(VolumeConformanceCases.VolOut, "_stale", "vol-partition.xml"));
        string expected = stale.Replace("<volume>", "<volume type='block'>")
            .Replace("<key>(null)</key>", "<key>/dev/sda1</key>")
            .Replace("  <source>\n  </source>\n", "");
        var volume = VolumeXml.Parse(File.ReadAllText(Path.Combine(VolumeConformanceCases.VolIn, "vol-partition.xml")), PoolType.Disk);
        Assert.Equal(expected, VolumeXml.Format(volume, PoolType.Disk));
    }

    public static TheoryData<string> Libvirt90VolumeDumps()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(SharedData.Libvirt90Outputs, "vol-*.xml").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(f));
        return data;
    }

    private static PoolType PoolOfDump(string file) =>
        file.StartsWith("vol-iscsi-direct", StringComparison.Ordinal) ? PoolType.IscsiDirect
        : file.StartsWith("vol-disk", StringComparison.Ordinal) ? PoolType.Disk
        : file.StartsWith("vol-fs", StringComparison.Ordinal) ? PoolType.Fs
        : PoolType.Dir;

    /// <summary>
    /// vol-dumpxml of libvirt 9.0 (files hold virsh's output: the document plus one newline). Read with the
    /// output-only elements kept, the volume formats back to the same bytes.
    /// </summary>
    [Theory, MemberData(nameof(Libvirt90VolumeDumps))]
    public void Libvirt90DumpRoundTrips(string file)
    {
        string dump = File.ReadAllText(Path.Combine(SharedData.Libvirt90Outputs, file));
        var pool = PoolOfDump(file);
        var volume = VolumeXml.Parse(dump, pool, VolumeParseOptions.KeepOutputOnlyElements);
        Assert.Equal(dump, VolumeXml.Format(volume, pool) + "\n");
    }

    /// <summary>As libvirt's parser, the default mode ignores source extents, physical and timestamps.</summary>
    [Theory, MemberData(nameof(Libvirt90VolumeDumps))]
    public void Libvirt90DumpWithoutOutputOnlyElements(string file)
    {
        string dump = File.ReadAllText(Path.Combine(SharedData.Libvirt90Outputs, file));
        var pool = PoolOfDump(file);
        string formatted = VolumeXml.Format(VolumeXml.Parse(dump, pool), pool);
        Assert.DoesNotContain("<timestamps>", formatted);
        Assert.DoesNotContain("<physical", formatted);
        Assert.DoesNotContain("<source>", formatted);
        Assert.Equal(StripOutputOnly(dump), formatted + "\n");
    }

    private static string StripOutputOnly(string xml)
    {
        var lines = xml.Split('\n').ToList();
        var kept = new List<string>();
        bool skipping = false;
        foreach (var line in lines)
        {
            string t = line.Trim();
            if (t is "<timestamps>" or "<source>") { skipping = true; continue; }
            if (t is "</timestamps>" or "</source>") { skipping = false; continue; }
            if (skipping || t.StartsWith("<physical", StringComparison.Ordinal)) continue;
            kept.Add(line);
        }
        return string.Join('\n', kept);
    }

    /// <summary>vol-clone --print-xml as recorded from virsh 9.0 (transcripts): libxml's re-serialisation.</summary>
    [Fact]
    public void CloneOfDumpMatchesVirshTranscript()
    {
        string transcript = File.ReadAllText(Path.Combine(SharedData.Root, "reference", "virsh-9.0.0-transcripts.txt"));
        int start = transcript.IndexOf("$ virsh vol-clone q1 q1c --pool p1 --print-xml\n", StringComparison.Ordinal);
        Assert.True(start >= 0);
        start = transcript.IndexOf('\n', start) + 1;
        int end = transcript.IndexOf("</volume>", start, StringComparison.Ordinal) + "</volume>".Length;
        string printed = transcript[start..end];

        // The source volume's dumpxml, in libvirt's single-quoted form, with the source's own name.
        var source = VolumeXml.Parse(printed.Replace("<name>q1c</name>", "<name>q1</name>"), PoolType.Dir,
            VolumeParseOptions.KeepOutputOnlyElements);
        string dumpxml = VolumeXml.Format(source, PoolType.Dir);
        Assert.Contains("<volume type='file'>", dumpxml);
        Assert.Equal(printed, VolumeArgumentsXml.Clone(dumpxml, "q1c"));
    }

    [Fact]
    public void CreateAsMatchesVirshTranscript()
    {
        string transcript = File.ReadAllText(Path.Combine(SharedData.Root, "reference", "virsh-9.0.0-transcripts.txt"));
        int start = transcript.IndexOf("$ virsh vol-create-as p1 q1 20M --format qcow2 --print-xml\n", StringComparison.Ordinal);
        Assert.True(start >= 0);
        start = transcript.IndexOf('\n', start) + 1;
        int end = transcript.IndexOf("</volume>\n", start, StringComparison.Ordinal) + "</volume>\n".Length;
        Assert.Equal(transcript[start..end], VolumeArgumentsXml.CreateAs("q1", 20971520, format: "qcow2"));
    }
}
