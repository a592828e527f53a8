using KvmStor.Cli.Commands;
using KvmStor.Cli.Parsing;

namespace KvmStor.Tests.Cli;

public class PoolArgumentsTests
{
    private static KvmStor.Model.PoolArguments Map(params string[] words) =>
        PoolArgumentOptions.From(new ArgumentParser(CommandTable.CreateDefault()).Parse(words));

    [Fact]
    public void EveryOptionReachesItsField()
    {
        var a = Map("pool-define-as", "p", "iscsi",
            "--source-host", "h", "--source-path", "/exp", "--source-dev", "/dev/sdz", "--source-name", "sn",
            "--target", "/t", "--source-format", "nfs", "--auth-type", "chap", "--auth-username", "u",
            "--secret-usage", "su", "--adapter-name", "scsi_host3", "--adapter-wwnn", "nn", "--adapter-wwpn", "pn",
            "--adapter-parent", "scsi_host1", "--adapter-parent-wwnn", "pwn", "--adapter-parent-wwpn", "pwp",
            "--adapter-parent-fabric-wwn", "fab", "--source-protocol-ver", "4", "--source-initiator", "iqn.x");
        Assert.Equal(new KvmStor.Model.PoolArguments
        {
            Name = "p", Type = "iscsi", SourceHost = "h", SourcePath = "/exp", SourceDev = "/dev/sdz", SourceName = "sn",
            Target = "/t", SourceFormat = "nfs", AuthType = "chap", AuthUsername = "u", SecretUsage = "su",
            AdapterName = "scsi_host3", AdapterWwnn = "nn", AdapterWwpn = "pn", AdapterParent = "scsi_host1",
            AdapterParentWwnn = "pwn", AdapterParentWwpn = "pwp", AdapterParentFabricWwn = "fab",
            SourceProtocolVer = "4", SourceInitiator = "iqn.x",
        }, a);
    }

    [Fact]
    public void AbsentOptionsStayNull()
    {
        var a = Map("pool-create-as", "t1", "dir", "--build");
        Assert.Equal(new KvmStor.Model.PoolArguments { Name = "t1", Type = "dir" }, a);
    }

    [Fact]
    public void SecretUsageAndUuidExcludeEachOther()
    {
        var error = Assert.Throws<CommandError>(() => Map("pool-define-as", "p", "rbd", "--secret-usage", "a", "--secret-uuid", "b"));
        Assert.Equal("Options --secret-usage and --secret-uuid are mutually exclusive", error.VirshLine);
    }

    [Fact]
    public void PrintXmlMatchesVirshAndNeverOpensTheEngine()
    {
        var result = CliRunner.Run("pool-define-as", "p5", "netfs", "--source-host", "h", "--target", "/srv/demo/pools/p5", "--print-xml");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Stderr);
        Assert.Equal(
            "<pool type='netfs'>\n  <name>p5</name>\n  <source>\n    <host name='h'/>\n  </source>\n" +
            "  <target>\n    <path>/srv/demo/pools/p5</path>\n  </target>\n</pool>\n\n",
            result.Stdout);

        result = CliRunner.Run("pool-create-as", "p6", "logical", "--print-xml", "--source-name", "vg", "--source-dev", "/dev/sdz", "--build");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("<pool type='logical'>\n  <name>p6</name>\n  <source>\n    <device path='/dev/sdz'/>\n    <name>vg</name>\n  </source>\n</pool>\n\n",
            result.Stdout);
    }

    [Fact]
    public void PrintXmlOfAdapterAuthAndProtocolInVirshOrder()
    {
        string xml = KvmStor.Xml.PoolArgumentsXml.BuildPool(new KvmStor.Model.PoolArguments
        {
            Name = "n", Type = "scsi", SourceHost = "h", SourceInitiator = "iqn.i", AdapterWwnn = "nn", AdapterWwpn = "pn",
            AdapterParentWwnn = "pwn", AdapterParentWwpn = "pwp", AuthType = "chap", AuthUsername = "u", SecretUuid = "s-u",
            SourceFormat = "f", SourceName = "sn", SourceProtocolVer = "3", AdapterName = "ignored-with-fc",
        });
        Assert.Equal(
            "<pool type='scsi'>\n  <name>n</name>\n  <source>\n    <host name='h'/>\n" +
            "    <initiator>\n      <iqn name='iqn.i'/>\n    </initiator>\n" +
            "    <adapter type='fc_host' parent_wwnn='pwn' parent_wwpn='pwp' wwnn='nn' wwpn='pn'/>\n" +
            "    <auth type='chap' username='u'>\n      <secret uuid='s-u'/>\n    </auth>\n" +
            "    <format type='f'/>\n    <name>sn</name>\n    <protocol ver='3'/>\n  </source>\n</pool>\n",
            xml);
    }

    [Fact]
    public void ScsiHostAdapterWhenOnlyANameIsGiven()
    {
        string xml = KvmStor.Xml.PoolArgumentsXml.BuildPool(new KvmStor.Model.PoolArguments { Name = "s", Type = "scsi", AdapterName = "host0", Target = "/dev/disk/by-path" });
        Assert.Equal("<pool type='scsi'>\n  <name>s</name>\n  <source>\n    <adapter type='scsi_host' name='host0'/>\n  </source>\n" +
            "  <target>\n    <path>/dev/disk/by-path</path>\n  </target>\n</pool>\n", xml);
    }

    [Fact]
    public void ExclusivityIsCheckedBeforePrintingXml()
    {
        var result = CliRunner.Run("pool-create-as", "p", "dir", "--print-xml", "--overwrite", "--no-overwrite");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: Options --overwrite and --no-overwrite are mutually exclusive\n", result.Stderr);
        Assert.Equal("\n", result.Stdout);
    }
}
