namespace KvmStor.Tests.Architecture;

/// <summary>
/// Data flows one way: front-ends → Engine → (Guests, State) → Backends → Images → Host, with Xml and Model below.
/// The compiled library and CLI are read type by type (signatures and IL), and every use that runs the wrong way is
/// named as "from type → to type".
/// </summary>
public class LayeringTests
{
    const string Root = "KvmStor";

    /// <summary>
    /// The one table: each layer, top first, and the layers it may use besides itself. A layer lower in the list never
    /// uses one higher up. The front-end reaches storage only through the engine (and the guest records and Model
    /// values the engine takes and returns); the engine is the only one that composes the rest.
    /// </summary>
    static readonly LayerRules Rules = new(new Dictionary<string, string[]>
    {
        // The ./kvmstor wrapper's rebuild check: runs before the front-end and reads ctimes with the host's stat.
        ["KvmStor.Cli.Wrapper"] = ["KvmStor.Host", Root],
        // The front-end: parses, calls the engine, prints. Guests' records (GuestInfo, DiskDefinition,
        // DiskAttachRequest, GuestDiskUse) are the guest vocabulary it passes and prints, as Model is for storage.
        ["KvmStor.Cli"] = ["KvmStor.Cli.Wrapper", "KvmStor.Server", "KvmStor.Engine", "KvmStor.Guests", "KvmStor.Xml", "KvmStor.Model", Root],
        // The other front-end: libvirt's RPC protocol; like the CLI it reaches storage only through the engine. Its
        // socket files and peers' credentials are the host's business, not storage's, hence Host.
        ["KvmStor.Server"] = ["KvmStor.Engine", "KvmStor.Guests", "KvmStor.Xml", "KvmStor.Model", "KvmStor.Host", Root],
        ["KvmStor.Engine"] = ["KvmStor.Guests", "KvmStor.State", "KvmStor.Backends", "KvmStor.Images", "KvmStor.Host", "KvmStor.Xml", "KvmStor.Model", Root],
        // Guest definitions, disk attach, qemu arguments: kept in the guest store (State).
        ["KvmStor.Guests"] = ["KvmStor.State", "KvmStor.Backends", "KvmStor.Images", "KvmStor.Host", "KvmStor.Xml", "KvmStor.Model", Root],
        // Definitions, status, secrets, events and recorded formats on disk (VolumeFormatStore implements the
        // backends' IVolumeFormatRecords, hence Backends).
        ["KvmStor.State"] = ["KvmStor.Backends", "KvmStor.Images", "KvmStor.Host", "KvmStor.Xml", "KvmStor.Model", Root],
        // Backends return Model values; the engine and Xml turn them into libvirt's XML. Backends only read XML (a
        // find-sources spec, `gluster --xml` output), which is why Xml, below them, is theirs to use.
        ["KvmStor.Backends"] = ["KvmStor.Images", "KvmStor.Host", "KvmStor.Xml", "KvmStor.Model", Root],
        ["KvmStor.Images"] = ["KvmStor.Host", "KvmStor.Model", Root],
        ["KvmStor.Host"] = ["KvmStor.Model", Root],
        ["KvmStor.Xml"] = ["KvmStor.Model", Root],
        ["KvmStor.Model"] = [Root],
        // StorageException, ErrorCode, Errno: the failure vocabulary every layer throws.
        [Root] = [],
    });

    static readonly string[] Assemblies = ["KvmStor.dll", "KvmStor.Server.dll", "KvmStor.Cli.dll"];

    static string PathOf(string assembly) => Path.Combine(AppContext.BaseDirectory, assembly);

    static string NamespaceOf(string type) => type[..type.LastIndexOf('.')];

    static IEnumerable<TypeEdge> AllEdges() => Assemblies.SelectMany(a => TypeEdgeFinder.Find(PathOf(a)));

    [Fact]
    public void NoEdgeRunsTheWrongWay()
    {
        var wrong = Rules.WrongWayEdges(AllEdges());
        Assert.True(wrong.Count == 0, $"{wrong.Count} wrong-way edges (from → to):\n" + string.Join("\n", wrong));
    }

    /// <summary>A new namespace must be placed in the table, or its edges would go unchecked.</summary>
    [Fact]
    public void EveryKvmStorTypeHasALayer()
    {
        var unplaced = Assemblies.SelectMany(a => TypeEdgeFinder.DefinedTypes(PathOf(a)))
            .Where(t => t.StartsWith(Root + ".", StringComparison.Ordinal) && Rules.LayerOf(t) is null or Root && NamespaceOf(t) != Root)
            .Order(StringComparer.Ordinal).ToList();
        Assert.True(unplaced.Count == 0, "types in no layer:\n" + string.Join("\n", unplaced));
    }
}
