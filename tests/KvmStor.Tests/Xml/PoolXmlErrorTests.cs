using KvmStor.Model;
using KvmStor.Xml;

namespace KvmStor.Tests.Xml;

/// <summary>Pool XML refusals: libvirt's exact texts and error codes, hostile XML, sizes and names.</summary>
public class PoolXmlErrorTests
{
    private const string Uuid = "<uuid>70a7eb15-6c34-ee9c-bf57-69e8e5ff3fb2</uuid>";

    private static StorageException Refused(string xml, PoolParseOptions? options = null) =>
        Assert.Throws<StorageException>(() => PoolXml.Parse(xml, options));

    private static void AssertRefused(string xml, ErrorCode code, string message, string display)
    {
        var e = Refused(xml);
        Assert.Equal(message, e.Message);
        Assert.Equal(code, e.Code);
        Assert.Equal(display, e.Display);
    }

    [Fact]
    public void DirWithoutTargetPath() => AssertRefused(
        "<pool type='dir'><name>p</name></pool>",
        ErrorCode.XmlError, "missing storage pool target path", "XML error: missing storage pool target path");

    [Fact]
    public void NameWithSlash() => AssertRefused(
        "<pool type='dir'><name>a/b</name><target><path>/x</path></target></pool>",
        ErrorCode.XmlError, "name a/b cannot contain '/'", "XML error: name a/b cannot contain '/'");

    [Fact]
    public void UnknownPoolType() => AssertRefused(
        "<pool type='foo'><name>p</name></pool>",
        ErrorCode.XmlError, "Invalid value for attribute 'type' in element 'pool': 'foo'.",
        "XML error: Invalid value for attribute 'type' in element 'pool': 'foo'.");

    [Fact]
    public void MissingPoolType() => AssertRefused(
        "<pool><name>p</name></pool>",
        ErrorCode.XmlError, "Missing required attribute 'type' in element 'pool'",
        "XML error: Missing required attribute 'type' in element 'pool'");

    [Fact]
    public void WrongRootElement() => AssertRefused(
        "<volume type='dir'/>",
        ErrorCode.XmlError, "unexpected root element <volume>, expecting <pool>",
        "XML error: unexpected root element <volume>, expecting <pool>");

    [Fact]
    public void MissingName() => AssertRefused(
        "<pool type='dir'><target><path>/x</path></target></pool>",
        ErrorCode.XmlError, "missing pool source name element", "XML error: missing pool source name element");

    [Theory]
    [InlineData("not-a-uuid")]
    [InlineData("70a7eb15-6c34-ee9c-bf57-69e8e5ff3fb")]
    [InlineData("70a7eb15-6c34-ee9c-bf57-69e8e5ff3fb2a")]
    [InlineData("{70a7eb15-6c34-ee9c-bf57-69e8e5ff3fb2}")]
    public void MalformedUuid(string uuid) => AssertRefused(
        $"<pool type='dir'><name>p</name><uuid>{uuid}</uuid><target><path>/x</path></target></pool>",
        ErrorCode.XmlError, "malformed uuid element", "XML error: malformed uuid element");

    [Fact]
    public void UuidWithoutDashesOrWithBlanksIsAccepted()
    {
        var def = PoolXml.Parse("<pool type='dir'><name>p</name><uuid> 70a7eb156c34ee9cbf5769e8e5ff3fb2 </uuid><target><path>/x</path></target></pool>");
        Assert.Equal(new Guid("70a7eb15-6c34-ee9c-bf57-69e8e5ff3fb2"), def.Uuid);
    }

    [Fact]
    public void MissingUuidGetsARandomVersion4Uuid()
    {
        const string xml = "<pool type='dir'><name>p</name><target><path>/x</path></target></pool>";
        var a = PoolXml.Parse(xml).Uuid;
        var b = PoolXml.Parse(xml).Uuid;
        Assert.NotEqual(a, b);
        string text = a.ToString("D");
        Assert.Equal('4', text[14]);
        Assert.Contains(text[19], "89ab");
        Assert.Contains($"<uuid>{text}</uuid>", PoolXml.Format(PoolXml.Parse(xml.Replace("<name>p</name>", $"<name>p</name><uuid>{text}</uuid>"))));
    }

    [Theory]
    [InlineData("0800")]
    [InlineData("01000")]
    [InlineData("rwx")]
    [InlineData("-1")]
    [InlineData("0x1ff")]
    public void MalformedOctalMode(string mode) => AssertRefused(
        $"<pool type='dir'><name>p</name><target><path>/x</path><permissions><mode>{mode}</mode></permissions></target></pool>",
        ErrorCode.XmlError, "malformed octal mode", "XML error: malformed octal mode");

    [Theory]
    [InlineData("owner", "root")]
    [InlineData("group", "4294967296")]
    [InlineData("owner", "-2")]
    public void MalformedOwnerOrGroup(string element, string value) => AssertRefused(
        $"<pool type='dir'><name>p</name><target><path>/x</path><permissions><{element}>{value}</{element}></permissions></target></pool>",
        ErrorCode.XmlError, $"malformed {element} element", $"XML error: malformed {element} element");

    [Fact]
    public void MinusOneOwnerAndGroupMeanUnsetAndAreNotPrinted()
    {
        var def = PoolXml.Parse(
            "<pool type='dir'><name>p</name><target><path>/x</path><permissions><mode>755</mode><owner>-1</owner><group>-1</group></permissions></target></pool>");
        Assert.Null(def.Target!.Permissions.Owner);
        Assert.Equal(0x1ED, def.Target.Permissions.Mode);
        Assert.Contains("    <permissions>\n      <mode>0755</mode>\n    </permissions>\n", PoolXml.Format(def));
    }

    [Fact]
    public void NetfsWithoutHost() => AssertRefused(
        "<pool type='netfs'><name>p</name><source><dir path='/e'/></source><target><path>/x</path></target></pool>",
        ErrorCode.XmlError, "missing storage pool source host name", "XML error: missing storage pool source host name");

    [Fact]
    public void HostWithoutName() => AssertRefused(
        "<pool type='netfs'><name>p</name><source><host/><dir path='/e'/></source><target><path>/x</path></target></pool>",
        ErrorCode.XmlError, "missing storage pool host name", "XML error: missing storage pool host name");

    [Fact]
    public void HostWithBadPort() => AssertRefused(
        "<pool type='netfs'><name>p</name><source><host name='h' port='x'/><dir path='/e'/></source><target><path>/x</path></target></pool>",
        ErrorCode.XmlError, "Invalid value for attribute 'port' in element 'host': 'x'. Expected integer value",
        "XML error: Invalid value for attribute 'port' in element 'host': 'x'. Expected integer value");

    [Fact]
    public void NetfsWithoutDir() => AssertRefused(
        "<pool type='netfs'><name>p</name><source><host name='h'/></source><target><path>/x</path></target></pool>",
        ErrorCode.XmlError, "missing storage pool source path", "XML error: missing storage pool source path");

    [Theory]
    [InlineData("fs")]
    [InlineData("disk")]
    public void DeviceOnlyTypesNeedADevice(string type) => AssertRefused(
        $"<pool type='{type}'><name>p</name><target><path>/x</path></target></pool>",
        ErrorCode.XmlError, "missing storage pool source device name", "XML error: missing storage pool source device name");

    [Fact]
    public void LogicalNeedsNoDevice()
    {
        var def = PoolXml.Parse("<pool type='logical'><name>vg</name></pool>");
        Assert.Equal("/dev/vg", def.TargetPath);
        Assert.Equal("vg", def.Source.Name);
    }

    [Fact]
    public void DeviceWithoutPath() => AssertRefused(
        "<pool type='fs'><name>p</name><source><device/></source><target><path>/x</path></target></pool>",
        ErrorCode.XmlError, "missing storage pool source device path", "XML error: missing storage pool source device path");

    [Fact]
    public void RbdWithoutSourceName() => AssertRefused(
        "<pool type='rbd'><name>p</name><source><host name='mon'/></source></pool>",
        ErrorCode.XmlError, "element 'name' is mandatory for RBD pool", "XML error: element 'name' is mandatory for RBD pool");

    [Fact]
    public void IscsiDirectWithoutInitiator() => AssertRefused(
        "<pool type='iscsi-direct'><name>p</name><source><host name='h'/><device path='iqn.x:t'/></source></pool>",
        ErrorCode.ConfigUnsupported, "missing initiator IQN", "unsupported configuration: missing initiator IQN");

    [Fact]
    public void CowOnlyForFsAndDir() => AssertRefused(
        "<pool type='logical'><name>vg</name><features><cow state='no'/></features></pool>",
        ErrorCode.NoSupport, "cow feature may only be used for 'fs' and 'dir' pools",
        "this function is not supported by the connection driver: cow feature may only be used for 'fs' and 'dir' pools");

    [Fact]
    public void CowWithBadState() => AssertRefused(
        "<pool type='dir'><name>p</name><features><cow state='maybe'/></features><target><path>/x</path></target></pool>",
        ErrorCode.XmlError, "Invalid value for attribute 'state' in element 'cow': 'maybe'.",
        "XML error: Invalid value for attribute 'state' in element 'cow': 'maybe'.");

    [Theory]
    [InlineData("fs", "<device path='/dev/sdb'/><format type='zfs'/>", "zfs")]
    [InlineData("netfs", "<host name='h'/><dir path='/e'/><format type='ext4'/>", "ext4")]
    [InlineData("disk", "<device path='/dev/sdb'/><format type='msdos'/>", "msdos")]
    [InlineData("logical", "<format type='lvm1'/>", "lvm1")]
    public void UnknownPoolFormat(string type, string source, string format) => AssertRefused(
        $"<pool type='{type}'><name>p</name><source>{source}</source><target><path>/x</path></target></pool>",
        ErrorCode.ConfigUnsupported, $"unknown pool format type {format}", $"unsupported configuration: unknown pool format type {format}");

    [Theory]
    [InlineData("<auth type='chap'><secret usage='u'/></auth>", ErrorCode.XmlError, "missing username for auth")]
    [InlineData("<auth type='kerberos' username='a'><secret usage='u'/></auth>", ErrorCode.ConfigUnsupported, "unknown auth type 'kerberos'")]
    [InlineData("<auth username='a'><secret usage='u'/></auth>", ErrorCode.ConfigUnsupported, "storage pool missing auth type")]
    [InlineData("<auth type='chap' username='a'/>", ErrorCode.XmlError, "Missing <secret> element in auth")]
    [InlineData("<auth type='chap' username='a'><secret/></auth>", ErrorCode.XmlError, "missing either uuid or usage attribute for secret")]
    [InlineData("<auth type='chap' username='a'><secret usage='u' uuid='2ec115d7-3a88-3ceb-bc12-0ac909a6fd87'/></auth>", ErrorCode.XmlError, "either secret uuid or usage expected")]
    [InlineData("<auth type='chap' username='a'><secret uuid='nope'/></auth>", ErrorCode.XmlError, "invalid secret uuid 'nope'")]
    public void AuthErrors(string auth, ErrorCode code, string message)
    {
        var e = Refused($"<pool type='iscsi'><name>p</name><source><host name='h'/><device path='t'/>{auth}</source><target><path>/dev/disk/by-path</path></target></pool>");
        Assert.Equal((code, message), (e.Code, e.Message));
    }

    [Fact]
    public void AuthWithUsageRoundTrips()
    {
        var def = PoolXml.Parse(
            "<pool type='rbd'><name>c</name><source><name>rbd</name><host name='m'/><auth username='admin' type='ceph'><secret usage='client.admin'/></auth></source></pool>");
        Assert.Contains("    <auth type='ceph' username='admin'>\n      <secret usage='client.admin'/>\n    </auth>\n", PoolXml.Format(def));
    }

    [Theory]
    [InlineData("<adapter name='host0' wwnn='20000000c9831b4b'/>", "Use of 'wwnn', 'wwpn', and 'parent' attributes requires use of the adapter 'type'")]
    [InlineData("<adapter type='fc_host' wwnn='20000000c9831b4b'/>", "'wwnn' and 'wwpn' must be specified for adapter type 'fchost'")]
    [InlineData("<adapter type='fc_host' wwnn='20000000c9831b4' wwpn='10000000c9831b4b'/>", "Malformed wwn: 20000000c9831b4")]
    [InlineData("<adapter type='scsi_host'/>", "Either 'name' or 'parent' must be specified for the 'scsi_host' adapter")]
    [InlineData("<adapter type='bogus' name='host0'/>", "Invalid value for attribute 'type' in element 'adapter': 'bogus'.")]
    [InlineData("", "missing storage pool source adapter")]
    public void AdapterErrors(string adapter, string message)
    {
        var e = Refused($"<pool type='scsi'><name>p</name><source>{adapter}</source><target><path>/dev/disk/by-path</path></target></pool>");
        Assert.Equal((ErrorCode.XmlError, message), (e.Code, e.Message));
    }

    [Fact]
    public void ProtocolVersionWithComma() => AssertRefused(
        "<pool type='netfs'><name>p</name><source><host name='h'/><dir path='/e'/><protocol ver='4,sec=sys'/></source><target><path>/x</path></target></pool>",
        ErrorCode.XmlError, "storage pool protocol ver '4,sec=sys' must not contain ','",
        "XML error: storage pool protocol ver '4,sec=sys' must not contain ','");

    [Fact]
    public void ProtocolVersionOnlyForNfs() => AssertRefused(
        "<pool type='netfs'><name>p</name><source><host name='h'/><dir path='s'/><format type='cifs'/><protocol ver='3'/></source><target><path>/x</path></target></pool>",
        ErrorCode.ConfigUnsupported, "storage pool protocol ver unsupported for pool type 'cifs'",
        "unsupported configuration: storage pool protocol ver unsupported for pool type 'cifs'");

    [Fact]
    public void UnknownRefreshAllocation() => AssertRefused(
        "<pool type='rbd'><name>c</name><source><name>rbd</name><host name='m'/></source><refresh><volume allocation='lazy'/></refresh></pool>",
        ErrorCode.ConfigUnsupported, "unknown storage pool volume refresh allocation type lazy",
        "unsupported configuration: unknown storage pool volume refresh allocation type lazy");

    [Fact]
    public void NamespaceOptionsNeedNamesAndValues()
    {
        Assert.Equal("no fs mount option name specified", Refused(
            "<pool type='netfs' xmlns:fs='http://libvirt.org/schemas/storagepool/fs/1.0'><name>p</name><source><host name='h'/><dir path='/e'/></source><target><path>/x</path></target><fs:mount_opts><fs:option/></fs:mount_opts></pool>").Message);
        Assert.Equal("no rbd option value specified", Refused(
            "<pool type='rbd' xmlns:rbd='http://libvirt.org/schemas/storagepool/rbd/1.0'><name>c</name><source><name>r</name><host name='m'/></source><rbd:config_opts><rbd:option name='a'/></rbd:config_opts></pool>").Message);
    }

    [Fact]
    public void NamespaceIsMatchedByUriNotPrefix()
    {
        var def = PoolXml.Parse(
            "<pool type='fs' xmlns:m='http://libvirt.org/schemas/storagepool/fs/1.0'><name>p</name><source><device path='/dev/sdb'/></source><target><path>/x</path></target><m:mount_opts><m:option name='sync'/></m:mount_opts></pool>");
        Assert.Equal(["sync"], def.MountOptions);
        string xml = PoolXml.Format(def);
        Assert.StartsWith("<pool type='fs' xmlns:fs='http://libvirt.org/schemas/storagepool/fs/1.0'>\n", xml);
        Assert.EndsWith("  <fs:mount_opts>\n    <fs:option name='sync'/>\n  </fs:mount_opts>\n</pool>\n", xml);
    }

    [Fact]
    public void NewlineInNameIsRefusedOnDefineOnly()
    {
        var def = PoolXml.Parse("<pool type='dir'><name>a\nb</name><target><path>/x</path></target></pool>");
        Assert.Equal("a\nb", def.Name);
        var e = Assert.Throws<StorageException>(() => PoolXml.ValidateForDefine(def));
        Assert.Equal("invalid char in name: 0x0a", e.Display);
        PoolXml.ValidateForDefine(def with { Name = "ab" });
    }

    [Fact]
    public void DoctypeIsRefusedAndEntitiesNeverExpanded()
    {
        string secretFile = Path.Combine(Path.GetTempPath(), $"kvmstor-xxe-{Guid.NewGuid():N}");
        File.WriteAllText(secretFile, "TOPSECRET");
        try
        {
            var e = Refused($"""
                <?xml version="1.0"?>
                <!DOCTYPE pool [ <!ENTITY x SYSTEM "file://{secretFile}"> <!ENTITY y "expanded"> ]>
                <pool type='dir'><name>&x;&y;</name><target><path>/x</path></target></pool>
                """);
            Assert.Equal(ErrorCode.XmlError, e.Code);
            Assert.Matches(@"^\(storage_pool_definition\):\d+: DOCTYPE and entity declarations are not allowed$", e.Message);
            Assert.DoesNotContain("TOPSECRET", e.Display);
            Assert.DoesNotContain("expanded", e.Display);
        }
        finally
        {
            File.Delete(secretFile);
        }
    }

    [Fact]
    public void UndeclaredEntityIsAnError()
    {
        var e = Refused("<pool type='dir'><name>&x;</name><target><path>/x</path></target></pool>");
        Assert.StartsWith("(storage_pool_definition):1: ", e.Message);
        Assert.Contains("'x'", e.Message);
    }

    [Fact]
    public void MalformedXmlNamesTheDocumentAndLine()
    {
        var e = Refused("<pool type='dir'>\n  <name>p</name>\n");
        Assert.Matches(@"^\(storage_pool_definition\):\d+: \S", e.Display);
        Assert.DoesNotContain("\n", e.Display);
    }

    [Theory]
    [InlineData("1024", null, 1024ul)]
    [InlineData("1024", "bytes", 1024ul)]
    [InlineData("1", "b", 1ul)]
    [InlineData("4", "KiB", 4096ul)]
    [InlineData("4", "k", 4096ul)]
    [InlineData("3", "KB", 3000ul)]
    [InlineData("2", "MB", 2_000_000ul)]
    [InlineData("2", "M", 2_097_152ul)]
    [InlineData("1", "G", 1_073_741_824ul)]
    [InlineData("1", "GiB", 1_073_741_824ul)]
    [InlineData("5", "TB", 5_000_000_000_000ul)]
    [InlineData("7", "EiB", 8_070_450_532_247_928_832ul)]
    public void RuntimeSizesHonourUnits(string value, string? unit, ulong bytes)
    {
        string attr = unit is null ? "" : $" unit='{unit}'";
        var def = PoolXml.Parse($"<pool type='dir'><name>p</name><capacity{attr}>{value}</capacity><target><path>/x</path></target></pool>",
            PoolParseOptions.Runtime);
        Assert.Equal(bytes, def.Capacity);
        Assert.Contains($"  <capacity unit='bytes'>{bytes}</capacity>\n", PoolXml.Format(def));
    }

    [Theory]
    [InlineData("capacity", "9223372036854775808", "")]
    [InlineData("allocation", "18446744073709551616", "")]
    [InlineData("available", "8", "EiB")]
    [InlineData("capacity", "-1", "")]
    [InlineData("capacity", "12abc", "")]
    public void RuntimeSizesOverflowOrJunkAreMalformed(string element, string value, string unit) => Assert.Equal(
        (ErrorCode.XmlError, $"malformed {element} element"),
        Refused($"<pool type='dir'><name>p</name><{element} unit='{unit}'>{value}</{element}><target><path>/x</path></target></pool>",
            PoolParseOptions.Runtime) is var e ? (e.Code, e.Message) : default);

    [Fact]
    public void RuntimeSizeWithUnknownUnit()
    {
        var e = Refused("<pool type='dir'><name>p</name><capacity unit='XB'>1</capacity><target><path>/x</path></target></pool>", PoolParseOptions.Runtime);
        Assert.Equal("invalid argument: unknown suffix 'XB'", e.Display);
    }

    [Fact]
    public void DefinitionParseIgnoresSizesAsLibvirtDoes()
    {
        var def = PoolXml.Parse("<pool type='dir'><name>p</name><capacity unit='bogus'>junk</capacity><target><path>/x</path></target></pool>");
        Assert.Equal(0ul, def.Capacity);
    }

    [Theory]
    [InlineData("///var/////lib/libvirt/images//", "/var/lib/libvirt/images")]
    [InlineData("/srv/pool/", "/srv/pool")]
    [InlineData("//net/share", "//net/share")]
    [InlineData("/", "/")]
    [InlineData("relative//dir/", "relative/dir")]
    public void TargetPathIsSanitised(string given, string stored)
    {
        var def = PoolXml.Parse($"<pool type='dir'><name>p</name><target><path>{given}</path></target></pool>");
        Assert.Equal(stored, def.TargetPath);
    }

    [Fact]
    public void SourceFieldsNotUsedByTheTypeAreDropped()
    {
        var def = PoolXml.Parse("<pool type='dir'><name>p</name><source><dir path='/ignored'/><host name='h'/><name>n</name></source><target><path>/x</path></target></pool>");
        Assert.Contains("  <source>\n  </source>\n", PoolXml.Format(def));
    }

    [Fact]
    public void NameTypesDefaultEachOther()
    {
        var noPoolName = PoolXml.Parse("<pool type='zfs'><source><name>tank</name></source></pool>");
        Assert.Equal(("tank", "/dev/zvol/tank"), (noPoolName.Name, noPoolName.TargetPath));
        var noSourceName = PoolXml.Parse("<pool type='gluster'><name>g</name><source><host name='h'/></source></pool>");
        Assert.Equal(("g", "/"), (noSourceName.Source.Name, noSourceName.Source.Dir));
        Assert.Null(noSourceName.Target);
        var logicalPathIgnored = PoolXml.Parse("<pool type='logical'><name>vg</name><target><path>/elsewhere</path></target></pool>");
        Assert.Equal("/dev/vg", logicalPathIgnored.TargetPath);
    }

    [Fact]
    public void PrintXmlMatchesVirshTranscripts()
    {
        Assert.Equal("""
            <pool type='netfs'>
              <name>p5</name>
              <source>
                <host name='h'/>
              </source>
              <target>
                <path>/srv/demo/pools/p5</path>
              </target>
            </pool>

            """, PoolArgumentsXml.BuildPool(new PoolArguments { Name = "p5", Type = "netfs", SourceHost = "h", Target = "/srv/demo/pools/p5" }));

        Assert.Equal("""
            <pool type='logical'>
              <name>p6</name>
              <source>
                <device path='/dev/sdz'/>
                <name>vg</name>
              </source>
            </pool>

            """, PoolArgumentsXml.BuildPool(new PoolArguments { Name = "p6", Type = "logical", SourceName = "vg", SourceDev = "/dev/sdz" }));
    }

    [Fact]
    public void PrintXmlPutsEveryOptionInVirshOrderEscaped()
    {
        var xml = PoolArgumentsXml.BuildPool(new PoolArguments
        {
            Name = "a&b", Type = "scsi", AdapterWwnn = "20000000c9831b4b", AdapterWwpn = "10000000c9831b4b",
            AdapterParentWwnn = "1", AdapterParentWwpn = "2", AdapterName = "host9",
            AuthType = "chap", AuthUsername = "u", SecretUuid = "2ec115d7-3a88-3ceb-bc12-0ac909a6fd87",
            SourceFormat = "auto", SourceProtocolVer = "4", SourceInitiator = "iqn.i", Target = "/t",
        });
        Assert.Equal("""
            <pool type='scsi'>
              <name>a&amp;b</name>
              <source>
                <initiator>
                  <iqn name='iqn.i'/>
                </initiator>
                <adapter type='fc_host' parent_wwnn='1' parent_wwpn='2' wwnn='20000000c9831b4b' wwpn='10000000c9831b4b'/>
                <auth type='chap' username='u'>
                  <secret uuid='2ec115d7-3a88-3ceb-bc12-0ac909a6fd87'/>
                </auth>
                <format type='auto'/>
                <protocol ver='4'/>
              </source>
              <target>
                <path>/t</path>
              </target>
            </pool>

            """, xml);
    }

    [Fact]
    public void FindSourcesSpecFromOptions()
    {
        Assert.Null(PoolArgumentsXml.BuildSourceSpec(new PoolSourceQuery(null, "3260", null)));
        Assert.Equal("<source>\n  <host name='h'/>\n</source>\n", PoolArgumentsXml.BuildSourceSpec(new PoolSourceQuery("h", null, null)));
        var source = SourcesXml.ParseSourceSpec(PoolArgumentsXml.BuildSourceSpec(new PoolSourceQuery("h", "3260", "iqn.i"))!, PoolType.Iscsi);
        Assert.Equal((new PoolSourceHost("h", 3260), "iqn.i"), (source.Hosts[0], source.InitiatorIqn));
    }

    [Fact]
    public void SourceSpecNeedsASourceRoot()
    {
        var e = Assert.Throws<StorageException>(() => SourcesXml.ParseSourceSpec("<pool/>", PoolType.NetFs));
        Assert.Equal("XML error: expecting root element of 'source', found 'pool'", e.Display);
        var bad = Assert.Throws<StorageException>(() => SourcesXml.ParseSourceSpec("<source>", PoolType.NetFs));
        Assert.StartsWith("(storage_source_specification):", bad.Message);
    }

    [Fact]
    public void ConfigCommentUsesTheUuidWhenTheNameIsNotShellSafe()
    {
        var def = PoolXml.Parse("<pool type='dir'><name>my pool;rm</name><uuid>70a7eb15-6c34-ee9c-bf57-69e8e5ff3fb2</uuid><target><path>/x</path></target></pool>");
        string config = PoolStateXml.FormatConfig(def);
        Assert.StartsWith(
            "<!--\nWARNING: THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE\n" +
            "OVERWRITTEN AND LOST. Changes to this xml configuration should be made using:\n" +
            "  kvmstor pool-edit 70a7eb15-6c34-ee9c-bf57-69e8e5ff3fb2\nor other application using the libvirt API.\n-->\n\n<pool type='dir'>\n",
            config);
        Assert.Equal("my pool;rm", PoolStateXml.ParseConfig(config).Name);
        Assert.Contains("  kvmstor pool-edit ok-name\n", PoolStateXml.FormatConfig(def with { Name = "ok-name" }));
        Assert.Contains("  kvmstor pool-edit 70a7eb15", PoolStateXml.FormatConfig(def with { Name = "a--b" }));
    }

    [Fact]
    public void ConfigFileHasNoSizesStatusFileKeepsThem()
    {
        var def = PoolXml.Parse("<pool type='dir'><name>p</name>" + Uuid + "<target><path>/x</path></target></pool>") with
        {
            Capacity = 10, Allocation = 4, Available = 6,
        };
        Assert.Contains("  <capacity unit='bytes'>0</capacity>\n", PoolStateXml.FormatConfig(def));
        string status = PoolStateXml.FormatStatus(def);
        Assert.Contains("\n<poolstate>\n  <pool type='dir'>\n    <name>p</name>\n", status);
        Assert.EndsWith("  </pool>\n</poolstate>\n", status);
        Assert.Equal((10ul, 4ul, 6ul), PoolStateXml.ParseStatus(status) is var s ? (s.Capacity, s.Allocation, s.Available) : default);
    }

    [Fact]
    public void StatusFileWithoutPool()
    {
        var e = Assert.Throws<StorageException>(() => PoolStateXml.ParseStatus("<poolstate/>"));
        Assert.Equal("internal error: Could not find any 'pool' element in state file", e.Display);
    }
}
