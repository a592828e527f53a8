using System.Diagnostics;
using KvmStor.Tests.Cli;
using KvmStor.Xml;

namespace KvmStor.Tests.Xml;

/// <summary>
/// Nesting as libvirt's parser allows it (libxml2: at most 256 open ancestors, so 257 levels and not 258, checked
/// against libvirt 9.0), refused at once, with libvirt's line, for every kind of XML kvmstor reads, through the
/// CLI and the engine. 200,000 levels once took minutes (pool-define) or crashed the process (define).
/// </summary>
public sealed class XmlNestingLimitTests : IDisposable
{
    private const int Accepted = XmlShapeLimits.MaxDepth + 1, Refused = XmlShapeLimits.MaxDepth + 2, Huge = 200_000;
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(1);

    private readonly VolumeCliSession _s = new();

    public void Dispose() => _s.Dispose();

    /// <summary><paramref name="depth"/> levels in all, the root's included: the root, its fixed children, then &lt;x&gt; elements.</summary>
    private static string Nested(int depth, string root, string rootAttributes, string fixedChildren, string wrapper = "")
    {
        int levels = depth - 1 - (wrapper.Length > 0 ? 1 : 0);
        string inner = string.Concat(Enumerable.Repeat("<x>", levels)) + string.Concat(Enumerable.Repeat("</x>", levels));
        if (wrapper.Length > 0) inner = $"<{wrapper}>{inner}</{wrapper}>";
        return $"<{root}{rootAttributes}>{fixedChildren}\n{inner}</{root}>";
    }

    private static string Pool(int depth) => Nested(depth, "pool", " type='dir'", $"<name>deep{depth}</name><target><path>/tmp/kvmstor-deep{depth}</path></target>");
    private static string Volume(int depth) => Nested(depth, "volume", "", $"<name>deep{depth}</name><capacity>1024</capacity>");
    private static string Secret(int depth) => Nested(depth, "secret", " ephemeral='no'", $"<usage type='volume'><volume>/deep{depth}</volume></usage>");
    private static string Domain(int depth) => Nested(depth, "domain", " type='kvm'", $"<name>deep{depth}</name><memory>1024</memory>", wrapper: "metadata");

    private static string Message(string document) => $"({document}):2: Excessive depth in document: 256 use XML_PARSE_HUGE option";

    [Fact]
    public void PoolDefine()
    {
        Assert.Contains("defined", _s.Ok("pool-define", _s.WriteFile("ok.xml", Pool(Accepted))));
        AssertRefused("storage_pool_definition", "Failed to define pool from", "pool-define", Pool(Refused));
        AssertRefused("storage_pool_definition", "Failed to define pool from", "pool-define", Pool(Huge));
        Assert.DoesNotContain($"deep{Refused}", _s.Ok("pool-list", "--all"));
    }

    [Fact]
    public void VolCreate()
    {
        Assert.Contains("created", _s.Ok("vol-create", "p1", _s.WriteFile("ok.xml", Volume(Accepted))));
        AssertRefused("storage_volume_definition", "Failed to create vol from", "vol-create", Volume(Refused), "p1");
        AssertRefused("storage_volume_definition", "Failed to create vol from", "vol-create", Volume(Huge), "p1");
        Assert.False(File.Exists(_s.VolumePath("p1", $"deep{Refused}")));
    }

    [Fact]
    public void SecretDefine()
    {
        Assert.Contains("created", _s.Ok("secret-define", _s.WriteFile("ok.xml", Secret(Accepted))));
        AssertRefused("definition_of_secret", "Failed to set attributes from", "secret-define", Secret(Refused));
        AssertRefused("definition_of_secret", "Failed to set attributes from", "secret-define", Secret(Huge));
        Assert.DoesNotContain($"/deep{Refused}", _s.Ok("secret-list"));
    }

    [Fact]
    public void GuestDefine()
    {
        Assert.Contains("defined", _s.Ok("define", _s.WriteFile("ok.xml", Domain(Accepted))));
        AssertRefused("domain_definition", "Failed to define domain from", "define", Domain(Refused));
        AssertRefused("domain_definition", "Failed to define domain from", "define", Domain(Huge));
        Assert.DoesNotContain($"deep{Refused}", _s.Ok("list", "--all"));
    }

    [Fact]
    public void EngineRefusesTooBeforeBuildingAnything()
    {
        using var host = _s.OpenHost();
        foreach (var (document, act) in new (string, Action)[]
        {
            ("storage_pool_definition", () => host.Pools.Define(Pool(Huge))),
            ("storage_volume_definition", () => host.Volumes.Create("p1", Volume(Huge), default)),
            ("definition_of_secret", () => host.Secrets.Define(Secret(Huge))),
        })
        {
            var watch = Stopwatch.StartNew();
            var e = Assert.Throws<StorageException>(act);
            Assert.True(watch.Elapsed < Quick, $"{watch.Elapsed} to refuse {Huge} levels");
            Assert.Equal(Message(document), e.Message);
        }
    }

    [Fact]
    public void TheLineIsTheOneOfTheElementTooDeep()
    {
        string xml = "<pool type='dir'>\n" + string.Concat(Enumerable.Range(0, 300).Select(_ => "<x>\n")) + string.Concat(Enumerable.Repeat("</x>", 300)) + "</pool>";
        var e = Assert.Throws<StorageException>(() => SafeXml.Parse(xml, "storage_pool_definition"));
        // The root is on line 1 and <x> number k on line k+1; number 257 is the 258th level.
        Assert.Equal("(storage_pool_definition):258: Excessive depth in document: 256 use XML_PARSE_HUGE option", e.Message);
    }

    private void AssertRefused(string document, string failure, string command, string xml, string? pool = null)
    {
        string file = _s.WriteFile($"{command}-{xml.Length}.xml", xml);
        var watch = Stopwatch.StartNew();
        var result = pool is null ? _s.Run(command, file) : _s.Run(command, pool, file);
        Assert.True(watch.Elapsed < Quick, $"{watch.Elapsed} for {command} to refuse {xml.Length} characters");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"error: {failure} {file}\nerror: {Message(document)}\n", result.Stderr);
    }
}
