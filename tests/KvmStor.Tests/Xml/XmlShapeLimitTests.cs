using System.Diagnostics;
using KvmStor.Tests.Cli;
using KvmStor.Xml;

namespace KvmStor.Tests.Xml;

/// <summary>
/// Shapes of XML other than depth stay linear to parse (and, for guests, to write back): sizes below would take
/// minutes if any step were quadratic. Namespace declarations are the one shape whose write-back is quadratic in
/// .NET, so more than a thousand in a document are refused.
/// </summary>
public sealed class XmlShapeLimitTests : IDisposable
{
    // Generous: a loaded machine took 10–13 s for shapes that take under a second idle; a quadratic step takes far longer.
    private static readonly TimeSpan Linear = TimeSpan.FromSeconds(60);

    private readonly VolumeCliSession _s = new();

    public void Dispose() => _s.Dispose();

    public static TheoryData<string> Shapes() =>
    [
        "100,000 attributes", "a 20 MB attribute value", "a 5 MB element name", "500,000 siblings",
        "500,000 prefixed siblings", "a million character references", "200,000 comments", "1000 namespace declarations",
    ];

    private static string Xml(string shape) => shape switch
    {
        "100,000 attributes" => "<pool type='dir' " + string.Concat(Enumerable.Range(0, 100_000).Select(i => $"a{i}='v' ")) + "/>",
        "a 20 MB attribute value" => "<pool type='" + new string('v', 20_000_000) + "'/>",
        "a 5 MB element name" => "<pool><" + new string('n', 5_000_000) + "/></pool>",
        "500,000 siblings" => "<pool>" + string.Concat(Enumerable.Repeat("<x a='1'/>", 500_000)) + "</pool>",
        "500,000 prefixed siblings" => "<pool xmlns:m='urn:m'>" + string.Concat(Enumerable.Repeat("<m:x m:a='1'/>", 500_000)) + "</pool>",
        "a million character references" => "<pool>" + string.Concat(Enumerable.Repeat("&amp;&#x41;", 1_000_000)) + "</pool>",
        "200,000 comments" => "<pool>" + string.Concat(Enumerable.Repeat("<!--c-->", 200_000)) + "</pool>",
        "1000 namespace declarations" => "<pool " + string.Concat(Enumerable.Range(0, 1000).Select(i => $"xmlns:p{i}='urn:{i}' ")) + "/>",
        _ => throw new ArgumentOutOfRangeException(nameof(shape)),
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ParsesInLinearTime(string shape)
    {
        string xml = Xml(shape);
        var watch = Stopwatch.StartNew();
        var document = SafeXml.Parse(xml, "storage_pool_definition", preserveWhitespace: true);
        _ = document.ToString();
        Assert.True(watch.Elapsed < Linear, $"{watch.Elapsed} to parse and write {shape}");
    }

    [Fact]
    public void MoreThanAThousandNamespaceDeclarationsAreRefused()
    {
        string xml = "<domain type='kvm'>\n<metadata " + string.Concat(Enumerable.Range(0, 600).Select(i => $"xmlns:a{i}='urn:{i}' ")) + ">"
            + "<a1:x " + string.Concat(Enumerable.Range(0, 401).Select(i => $"xmlns:b{i}='urn:b{i}' ")) + "/></metadata></domain>";
        var e = Assert.Throws<StorageException>(() => SafeXml.Parse(xml, "domain_definition"));
        Assert.Equal("(domain_definition):2: more than 1000 namespace declarations in document", e.Message);
    }

    [Fact]
    public void GuestWithAThousandNamespacesIsDefinedAndWrittenBackQuickly()
    {
        string xml = "<domain type='kvm' " + string.Concat(Enumerable.Range(0, 1000).Select(i => $"xmlns:p{i}='urn:{i}' "))
            + "><name>ns</name><memory>1024</memory><metadata><p999:x p0:a='1'/></metadata></domain>";
        var watch = Stopwatch.StartNew();
        _s.Ok("define", _s.WriteFile("ns.xml", xml));
        Assert.Contains("<p999:x p0:a=\"1\"", _s.Ok("dumpxml", "ns").Replace('\'', '"'));
        Assert.True(watch.Elapsed < Linear, $"{watch.Elapsed} to define and dump");
    }
}
