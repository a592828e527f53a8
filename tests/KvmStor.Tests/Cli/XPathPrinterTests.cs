using KvmStor.Cli.Output;

namespace KvmStor.Tests.Cli;

public class XPathPrinterTests
{
    private const string Pool =
        "<pool type='dir'>\n  <name>p1</name>\n  <source>\n  </source>\n  <target>\n    <path>/srv/p1</path>\n" +
        "    <permissions>\n      <mode>0711</mode>\n      <owner>0</owner>\n    </permissions>\n  </target>\n</pool>\n";

    [Fact]
    public void SingleNodeWithDoubleQuotedAttributes()
    {
        Assert.Equal("<format type=\"qcow2\"/>\n",
            XPathPrinter.Print("<volume><target><format type='qcow2'/></target></volume>", "//format", wrap: false, "volume"));
    }

    [Fact]
    public void ElementsAreReindentedFromLevelZero()
    {
        Assert.Equal("<target>\n  <path>/srv/p1</path>\n  <permissions>\n    <mode>0711</mode>\n    <owner>0</owner>\n  </permissions>\n</target>\n",
            XPathPrinter.Print(Pool, "/pool/target", wrap: false, "pool"));
    }

    [Fact]
    public void EachResultOnItsOwnLine()
    {
        Assert.Equal("<name>p1</name>\n<path>/srv/p1</path>\n",
            XPathPrinter.Print(Pool, "//name | //path", wrap: false, "pool"));
    }

    [Fact]
    public void EmptyElementIsSelfClosedWithoutSpace()
    {
        Assert.Equal("<owner/>\n", XPathPrinter.Print("<a><owner/></a>", "//owner", wrap: false, "t"));
    }

    [Fact]
    public void BlankOnlyContentIsKeptAsLibxmlKeepsIt()
    {
        Assert.Equal("<source>\n  </source>\n", XPathPrinter.Print(Pool, "/pool/source", wrap: false, "pool"));
    }

    [Fact]
    public void AttributesAndText()
    {
        Assert.Equal(" type=\"dir\"\n", XPathPrinter.Print(Pool, "/pool/@type", wrap: false, "pool"));
        Assert.Equal("/srv/p1\n", XPathPrinter.Print(Pool, "//path/text()", wrap: false, "pool"));
    }

    [Fact]
    public void WrapPutsResultsInNodes()
    {
        Assert.Equal("<nodes>\n  <name>p1</name>\n  <mode>0711</mode>\n</nodes>\n",
            XPathPrinter.Print(Pool, "//name | //mode", wrap: true, "pool"));
        Assert.Equal("<nodes/>\n", XPathPrinter.Print(Pool, "//nothing", wrap: true, "pool"));
        Assert.Equal("", XPathPrinter.Print(Pool, "//nothing", wrap: false, "pool"));
    }

    [Fact]
    public void WrappedAttributesAndTextAsVirshPrintsThem()
    {
        // Observed with virsh 9.0 pool-dumpxml --xpath … --wrap on a dir pool.
        Assert.Equal("<nodes type=\"dir\"/>\n", XPathPrinter.Print(Pool, "/pool/@type", wrap: true, "pool"));
        Assert.Equal("<nodes>/srv/p1</nodes>\n", XPathPrinter.Print(Pool, "//path/text()", wrap: true, "pool"));
        Assert.Equal("<nodes>\n  <source>\n  </source>\n</nodes>\n", XPathPrinter.Print(Pool, "/pool/source", wrap: true, "pool"));
        Assert.Equal("<nodes>\n  <target>\n    <path>/srv/p1</path>\n    <permissions>\n      <mode>0711</mode>\n      <owner>0</owner>\n" +
            "    </permissions>\n  </target>\n</nodes>\n", XPathPrinter.Print(Pool, "/pool/target", wrap: true, "pool"));
    }

    [Fact]
    public void EscapingAsLibxml()
    {
        Assert.Equal("<n a=\"x&quot;&lt;&amp;\">a&lt;b&amp;c&gt;</n>\n",
            XPathPrinter.Print("<r><n a='x\"&lt;&amp;'>a&lt;b&amp;c&gt;</n></r>", "//n", wrap: false, "t"));
    }

    [Theory]
    [InlineData("count(//name)")]
    [InlineData("string(//name)")]
    [InlineData("//name[")]
    public void NonNodeResultsAndBadSyntaxAreErrors(string xpath)
    {
        var error = Assert.Throws<StorageException>(() => XPathPrinter.Print(Pool, xpath, wrap: false, "pool"));
        Assert.Equal($"internal error: Incorrect xpath '{xpath}'", error.Display);
    }
}
