using KvmStor.Model;
using KvmStor.Xml;

namespace KvmStor.Tests.Xml;

/// <summary>libvirt's volume parse rules and their exact error texts.</summary>
public class VolumeXmlParseTests
{
    private static string Vol(string body, string capacity = "<capacity>1024</capacity>", string attrs = "") =>
        $"<volume{attrs}><name>v1</name>{capacity}{body}</volume>";

    private static VolumeDefinition Parse(string xml, PoolType pool = PoolType.Dir,
        VolumeParseOptions options = VolumeParseOptions.None) => VolumeXml.Parse(xml, pool, options);

    private static string Error(string xml, PoolType pool = PoolType.Dir, VolumeParseOptions options = VolumeParseOptions.None) =>
        Assert.Throws<StorageException>(() => VolumeXml.Parse(xml, pool, options)).Display;

    [Theory]
    [InlineData("<volume><capacity>1</capacity></volume>")]
    [InlineData("<volume><name></name><capacity>1</capacity></volume>")]
    public void NameIsRequired(string xml) =>
        Assert.Equal("XML error: missing volume name element", Error(xml));

    [Fact]
    public void CapacityIsRequired() =>
        Assert.Equal("XML error: missing capacity element", Error(Vol("", capacity: "")));

    [Fact]
    public void NoCapacityOptionAllowsMissingCapacity()
    {
        var v = Parse(Vol("", capacity: ""), options: VolumeParseOptions.NoCapacity);
        Assert.False(v.HasCapacity);
        Assert.Equal(0UL, v.Capacity);
    }

    [Fact]
    public void OptionalCapacityNeedsABackingStore()
    {
        Assert.Equal("XML error: missing capacity element",
            Error(Vol("", capacity: ""), options: VolumeParseOptions.OptionalCapacity));
        var v = Parse(Vol("<backingStore><path>/b.img</path></backingStore>", capacity: ""),
            options: VolumeParseOptions.OptionalCapacity);
        Assert.Equal("/b.img", v.BackingStore!.Path);
        Assert.Equal("raw", v.BackingStore.Format);
    }

    [Fact]
    public void BackingStoreWithoutPathIsIgnored() =>
        Assert.Null(Parse(Vol("<backingStore><format type='qcow2'/></backingStore>")).BackingStore);

    [Fact]
    public void MissingAllocationDefaultsToCapacity()
    {
        var v = Parse(Vol("", capacity: "<capacity unit='M'>2</capacity>"));
        Assert.False(v.HasAllocation);
        Assert.Equal(2097152UL, v.Allocation);
        var w = Parse(Vol("<allocation>0</allocation>"));
        Assert.True(w.HasAllocation);
        Assert.Equal(0UL, w.Allocation);
    }

    [Theory]
    [InlineData("10", null, 10UL)]
    [InlineData("10", "bytes", 10UL)]
    [InlineData("10", "KiB", 10240UL)]
    [InlineData("10", "KB", 10000UL)]
    [InlineData("5", "G", 5368709120UL)]
    [InlineData("10", "GB", 10000000000UL)]
    [InlineData(" +7", "", 7UL)]
    [InlineData("9223372036854775807", null, 9223372036854775807UL)]
    public void SizesAreScaled(string value, string? unit, ulong expected)
    {
        string unitAttr = unit is null ? "" : $" unit='{unit}'";
        Assert.Equal(expected, Parse(Vol("", capacity: $"<capacity{unitAttr}>{value}</capacity>")).Capacity);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("12x")]
    [InlineData("99999999999999999999")]
    public void MalformedCapacity(string value) =>
        Assert.Equal("XML error: malformed capacity element", Error(Vol("", capacity: $"<capacity>{value}</capacity>")));

    [Fact]
    public void MalformedAllocationUsesTheSameText() =>
        Assert.Equal("XML error: malformed capacity element", Error(Vol("<allocation>lots</allocation>")));

    [Fact]
    public void UnknownUnit() =>
        Assert.Equal("invalid argument: unknown suffix 'XB'", Error(Vol("", capacity: "<capacity unit='XB'>1</capacity>")));

    [Theory]
    [InlineData("9223372036854775808", "", "9223372036854775808")]
    [InlineData("8", "E", "8E")]
    public void SizesAboveLLongMaxOverflow(string value, string unit, string shown) =>
        Assert.Equal($"numerical overflow: value too large: {shown}",
            Error(Vol("", capacity: $"<capacity unit='{unit}'>{value}</capacity>")));

    [Fact]
    public void UnknownFormatForFilePools()
    {
        Assert.Equal("unsupported configuration: unknown volume format type bogus",
            Error(Vol("<target><format type='bogus'/></target>")));
        // "none" exists in the enum but is never accepted as input.
        Assert.Equal("unsupported configuration: unknown volume format type none",
            Error(Vol("<target><format type='none'/></target>"), PoolType.NetFs));
        Assert.Equal("unsupported configuration: unknown volume format type nope",
            Error(Vol("<backingStore><path>/x</path><format type='nope'/></backingStore>")));
    }

    [Theory]
    [InlineData(PoolType.Dir, "qcow2")]
    [InlineData(PoolType.Fs, "vmdk")]
    [InlineData(PoolType.Gluster, "dir")]
    [InlineData(PoolType.Rbd, "raw")]
    [InlineData(PoolType.Vstorage, "ploop")]
    [InlineData(PoolType.Disk, "none")]
    [InlineData(PoolType.Disk, "linux-swap")]
    [InlineData(PoolType.Disk, "extended")]
    public void AcceptedFormats(PoolType pool, string format) =>
        Assert.Equal(format, Parse(Vol($"<target><format type='{format}'/></target>"), pool).Target.Format);

    [Fact]
    public void DiskPoolsTakePartitionTypesOnly()
    {
        Assert.Equal("unsupported configuration: unknown volume format type qcow2",
            Error(Vol("<target><format type='qcow2'/></target>"), PoolType.Disk));
        Assert.Equal("none", Parse(Vol(""), PoolType.Disk).Target.Format);
    }

    [Theory]
    [InlineData(PoolType.Logical)]
    [InlineData(PoolType.Iscsi)]
    [InlineData(PoolType.Zfs)]
    [InlineData(PoolType.Mpath)]
    public void PoolsWithoutFormatsIgnoreTheElement(PoolType pool) =>
        Assert.Null(Parse(Vol("<target><format type='whatever'/></target>"), pool).Target.Format);

    [Theory]
    [InlineData("1")]
    [InlineData("1.")]
    [InlineData(".1")]
    [InlineData("a.b")]
    [InlineData("1.1.1")]
    [InlineData("1.-1")]
    public void CompatMustBeTwoNumbers(string compat) =>
        Assert.Equal("XML error: forbidden characters in 'compat' attribute",
            Error(Vol($"<target><compat>{compat}</compat></target>")));

    [Fact]
    public void FeaturesImplyCompat11AndKeepAGivenCompat()
    {
        var implied = Parse(Vol("<target><format type='qcow2'/><features><lazy_refcounts/></features></target>"));
        Assert.Equal("1.1", implied.Target.Compat);
        Assert.Equal(["lazy_refcounts"], implied.Target.Features!);
        var given = Parse(Vol("<target><compat>0.10</compat><features/></target>"));
        Assert.Equal("0.10", given.Target.Compat);
        Assert.Empty(given.Target.Features!);
        Assert.Null(Parse(Vol("<target/>")).Target.Features);
    }

    [Fact]
    public void FeaturesAreKeptInLibvirtOrderWithoutDuplicates()
    {
        var v = Parse(Vol("<target><features><extended_l2/><lazy_refcounts/><extended_l2/></features></target>"));
        Assert.Equal(["lazy_refcounts", "extended_l2"], v.Target.Features!);
    }

    [Fact]
    public void UnsupportedFeature() =>
        Assert.Equal("unsupported configuration: unsupported feature zstd",
            Error(Vol("<target><features><zstd/></features></target>")));

    [Fact]
    public void NoCowAndClusterSize()
    {
        var v = Parse(Vol("<target><nocow/><clusterSize unit='KiB'>128</clusterSize></target>"));
        Assert.True(v.Target.NoCow);
        Assert.Equal(131072UL, v.Target.ClusterSize);
        Assert.Equal(65536UL, Parse(Vol("<target><clusterSize>65536</clusterSize></target>")).Target.ClusterSize);
        Assert.Null(Parse(Vol("<target/>")).Target.ClusterSize);
        Assert.Equal("XML error: could not parse element ./target/clusterSize",
            Error(Vol("<target><clusterSize>big</clusterSize></target>")));
    }

    [Theory]
    [InlineData("<mode>0999</mode>")]
    [InlineData("<mode>01000</mode>")]
    [InlineData("<mode>rw</mode>")]
    [InlineData("<mode>-1</mode>")]
    public void MalformedOctalMode(string perms) =>
        Assert.Equal("XML error: malformed octal mode", Error(Vol($"<target><permissions>{perms}</permissions></target>")));

    [Theory]
    [InlineData("owner", "abc")]
    [InlineData("owner", "1.5")]
    [InlineData("group", "")]
    [InlineData("group", "4294967296")]
    [InlineData("group", "-2")]
    public void MalformedOwnerOrGroup(string element, string value) =>
        Assert.Equal($"XML error: malformed {element} element",
            Error(Vol($"<target><permissions><{element}>{value}</{element}></permissions></target>")));

    [Fact]
    public void PermissionsAreReadAsLibvirtDoes()
    {
        var p = Parse(Vol("<target><permissions><mode>0640</mode><owner>0744</owner><group>-1</group>" +
                          "<label>l</label></permissions></target>")).Target.Permissions!;
        Assert.Equal(0x1A0, p.Mode);
        Assert.Equal(744, p.Owner);
        Assert.Null(p.Group);
        Assert.Equal("l", p.Label);
        Assert.Null(Parse(Vol("<target><permissions><owner>4294967295</owner></permissions></target>")).Target.Permissions!.Owner);
    }

    [Fact]
    public void EncryptionIsRead()
    {
        var e = Parse(Vol("<target><encryption format='luks' engine='librbd'>" +
                          "<secret type='passphrase' usage='vol1'/>" +
                          "<cipher name='aes' size='256' mode='xts'/><ivgen name='plain64'/>" +
                          "</encryption></target>")).Target.Encryption!;
        Assert.Equal("luks", e.Format);
        Assert.Equal("librbd", e.Engine);
        Assert.Equal(new EncryptionSecret("passphrase", null, "vol1"), e.Secrets.Single());
        Assert.Equal(("aes", "256", "xts", (string?)null), (e.CipherName, e.CipherSize, e.CipherMode, e.CipherHash));
        Assert.Equal("plain64", e.IvgenName);
    }

    [Fact]
    public void CipherIsOnlyReadForLuks()
    {
        var e = Parse(Vol("<target><encryption format='qcow'><cipher name='aes'/></encryption></target>")).Target.Encryption!;
        Assert.Null(e.CipherName);
        Assert.Empty(e.Secrets);
    }

    [Theory]
    [InlineData("<encryption/>", "XML error: unknown volume encryption format")]
    [InlineData("<encryption format=''/>", "XML error: unknown volume encryption format")]
    [InlineData("<encryption format='aes'/>", "unsupported configuration: unknown volume encryption format type aes")]
    [InlineData("<encryption format='luks' engine='kernel'/>", "XML error: Invalid value for attribute 'engine' in element 'encryption': 'kernel'.")]
    [InlineData("<encryption format='luks' engine='default'/>", "XML error: Invalid value for attribute 'engine' in element 'encryption': 'default'.")]
    [InlineData("<encryption format='luks'><secret uuid='f52a81b2-424e-490c-823d-6bd4235bc572'/></encryption>", "XML error: unknown volume encryption secret type")]
    [InlineData("<encryption format='luks'><secret type='key'/></encryption>", "unsupported configuration: unknown volume encryption secret type key")]
    [InlineData("<encryption format='luks'><secret type='passphrase'/></encryption>", "XML error: missing secret uuid or usage attribute")]
    [InlineData("<encryption format='luks'><secret type='passphrase' uuid='f52a81b2-424e-490c-823d-6bd4235bc572' usage='u'/></encryption>", "XML error: either secret uuid or usage expected")]
    [InlineData("<encryption format='luks'><secret type='passphrase' uuid='nope'/></encryption>", "XML error: invalid secret uuid 'nope'")]
    [InlineData("<encryption format='luks'><cipher size='256'/></encryption>", "XML error: cipher info missing 'name' attribute")]
    [InlineData("<encryption format='luks'><cipher name='aes'/></encryption>", "XML error: cipher info missing 'size' attribute")]
    [InlineData("<encryption format='luks'><cipher name='aes' size='big'/></encryption>", "XML error: cannot parse cipher size: 'big'")]
    [InlineData("<encryption format='luks'><ivgen name='plain64'/></encryption>", "XML error: ivgen element found, but cipher is missing")]
    [InlineData("<encryption format='luks'><cipher name='aes' size='256'/><ivgen hash='sha256'/></encryption>", "XML error: missing ivgen info name string")]
    public void EncryptionErrors(string encryption, string expected) =>
        Assert.Equal(expected, Error(Vol($"<target>{encryption}</target>")));

    [Fact]
    public void DoctypeIsRefused()
    {
        string xml = "<!DOCTYPE volume [<!ENTITY x 'y'>]>\n<volume><name>&x;</name><capacity>1</capacity></volume>";
        string message = Error(xml);
        Assert.Contains("(storage_volume_definition):", message);
        Assert.Contains("DOCTYPE", message);
    }

    [Fact]
    public void MalformedXmlNamesTheDocument() =>
        Assert.StartsWith("(storage_volume_definition):1: ", Error("<volume><name>v</volume>"));

    [Fact]
    public void RootMustBeVolume() =>
        Assert.Equal("XML error: expecting root element of 'volume', not 'pool'", Error("<pool><name>p</name></pool>"));

    [Fact]
    public void UnknownVolumeType() =>
        Assert.Equal("unsupported configuration: unknown volume type 'tape'", Error(Vol("", attrs: " type='tape'")));

    [Theory]
    [InlineData(PoolType.Dir, VolumeType.File)]
    [InlineData(PoolType.NetFs, VolumeType.File)]
    [InlineData(PoolType.Logical, VolumeType.Block)]
    [InlineData(PoolType.Disk, VolumeType.Block)]
    [InlineData(PoolType.Rbd, VolumeType.Network)]
    public void TypeDefaultsToWhatThePoolMakes(PoolType pool, VolumeType expected)
    {
        Assert.Equal(expected, Parse(Vol(""), pool).Type);
        Assert.Equal(VolumeType.Dir, Parse(Vol("", attrs: " type='dir'"), pool).Type);
    }

    [Fact]
    public void OutputOnlyElementsAreIgnoredUnlessAsked()
    {
        string xml = Vol("<physical>4096</physical><source><device path='/dev/sda'><extent start='0' end='512'/></device></source>" +
                         "<target><timestamps><atime>1.5</atime><btime>0</btime></timestamps></target>");
        var plain = Parse(xml);
        Assert.Null(plain.Physical);
        Assert.Empty(plain.SourceDevices);
        Assert.Null(plain.Target.Timestamps);
        var kept = Parse(xml, options: VolumeParseOptions.KeepOutputOnlyElements);
        Assert.Equal(4096UL, kept.Physical);
        Assert.Equal(new VolumeExtent(0, 512), kept.SourceDevices.Single().Extents.Single());
        Assert.Equal(new VolumeTimestamps("1.5", null, null, "0"), kept.Target.Timestamps);
    }

    [Fact]
    public void NameIsKeptAsWritten()
    {
        Assert.Equal("<a&b>.img", Parse("<volume><name>&lt;a&amp;b&gt;.img</name><capacity>1</capacity></volume>").Name);
        Assert.Equal("x/y", Parse("<volume><name>x/y</name><capacity>1</capacity></volume>").Name);
    }
}
