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
        // Backends return Model values; the engine and Xml turn them into libvirt's XML.
        ["KvmStor.Backends"] = ["KvmStor.Images", "KvmStor.Host", "KvmStor.Model", Root],
        ["KvmStor.Images"] = ["KvmStor.Host", "KvmStor.Model", Root],
        ["KvmStor.Host"] = ["KvmStor.Model", Root],
        ["KvmStor.Xml"] = ["KvmStor.Model", Root],
        ["KvmStor.Model"] = [Root],
        // StorageException, ErrorCode, Errno: the failure vocabulary every layer throws.
        [Root] = [],
    });

    /// <summary>
    /// Being removed by the backend-vocabulary move (helper "caps": request flags, transfer ranges, progress and wipe
    /// algorithms to Model; source finders return Model values and Xml formats them). Empty this list when it lands:
    /// after that, every edge here is a failure like any other.
    /// </summary>
    static readonly HashSet<TypeEdge> BeingRemovedByTheBackendVocabularyMove =
    [
        new("KvmStor.Cli.Commands.CompleteCommand", "KvmStor.Images.WipeAlgorithm"),
        new("KvmStor.Cli.Commands.CompleteCommand", "KvmStor.Images.WipeAlgorithmNames"),
        new("KvmStor.Cli.Commands.LongOperation", "KvmStor.Images.ByteProgress"),
        new("KvmStor.Cli.Commands.PoolDefineCommands", "KvmStor.Backends.PoolBuildFlags"),
        new("KvmStor.Cli.Commands.PoolLifecycleCommands", "KvmStor.Backends.PoolBuildFlags"),
        new("KvmStor.Cli.Commands.PoolOptions", "KvmStor.Backends.PoolBuildFlags"),
        new("KvmStor.Cli.Commands.VolumeCreateCommands", "KvmStor.Backends.VolumeCreateFlags"),
        new("KvmStor.Cli.Commands.VolumeCreateCommands", "KvmStor.Backends.VolumeDeleteFlags"),
        new("KvmStor.Cli.Commands.VolumeCreateCommands", "KvmStor.Images.ByteProgress"),
        new("KvmStor.Cli.Commands.VolumeDataCommands", "KvmStor.Backends.TransferRange"),
        new("KvmStor.Cli.Commands.VolumeDataCommands", "KvmStor.Backends.VolumeResizeFlags"),
        new("KvmStor.Cli.Commands.VolumeDataCommands", "KvmStor.Images.ByteProgress"),
        new("KvmStor.Cli.Commands.VolumeDataCommands", "KvmStor.Images.WipeAlgorithm"),
        new("KvmStor.Cli.Commands.VolumeDataCommands", "KvmStor.Images.WipeAlgorithmNames"),
        new("KvmStor.Cli.Commands.VolumeOptions", "KvmStor.Backends.TransferRange"),
        new("KvmStor.Cli.Commands.VolumeOptions", "KvmStor.Backends.VolumeCreateFlags"),
        new("KvmStor.Server.Procedures.PoolProcedures", "KvmStor.Backends.PoolBuildFlags"),
        new("KvmStor.Server.Procedures.StreamProcedures", "KvmStor.Backends.TransferRange"),
        new("KvmStor.Server.Procedures.StreamProcedures", "KvmStor.Images.ByteProgress"),
        new("KvmStor.Server.Procedures.VolumeProcedures", "KvmStor.Backends.VolumeCreateFlags"),
        new("KvmStor.Server.Procedures.VolumeProcedures", "KvmStor.Backends.VolumeDeleteFlags"),
        new("KvmStor.Server.Procedures.VolumeProcedures", "KvmStor.Backends.VolumeResizeFlags"),
        new("KvmStor.Server.Procedures.VolumeProcedures", "KvmStor.Images.ByteProgress"),
        new("KvmStor.Server.Procedures.VolumeProcedures", "KvmStor.Images.WipeAlgorithm"),
        new("KvmStor.Backends.Disk.DiskSourceFinder", "KvmStor.Xml.SourcesXml"),
        new("KvmStor.Backends.Fs.FsSourceFinder", "KvmStor.Xml.SourcesXml"),
        new("KvmStor.Backends.Fs.NetFsSourceFinder", "KvmStor.Xml.SourcesXml"),
        // NetFs's gluster probe parses `gluster --xml` output with SafeXml: it goes with the finder's rewrite.
        new("KvmStor.Backends.Fs.NetFsSourceFinder", "KvmStor.Xml.SafeXml"),
        new("KvmStor.Backends.Gluster.GlusterPoolBackend", "KvmStor.Xml.SourcesXml"),
        new("KvmStor.Backends.Iscsi.IscsiSourceFinder", "KvmStor.Xml.SourcesXml"),
        new("KvmStor.Backends.IscsiDirect.IscsiDirectPoolBackend", "KvmStor.Xml.SourcesXml"),
        new("KvmStor.Backends.Logical.LogicalPoolBackend", "KvmStor.Xml.SourcesXml"),
    ];

    static readonly string[] Assemblies = ["KvmStor.dll", "KvmStor.Server.dll", "KvmStor.Cli.dll"];

    static string PathOf(string assembly) => Path.Combine(AppContext.BaseDirectory, assembly);

    static string NamespaceOf(string type) => type[..type.LastIndexOf('.')];

    static IEnumerable<TypeEdge> AllEdges() => Assemblies.SelectMany(a => TypeEdgeFinder.Find(PathOf(a)));

    [Fact]
    public void NoEdgeRunsTheWrongWay()
    {
        var wrong = Rules.WrongWayEdges(AllEdges()).Where(e => !BeingRemovedByTheBackendVocabularyMove.Contains(e)).ToList();
        Assert.True(wrong.Count == 0, $"{wrong.Count} wrong-way edges (from → to):\n" + string.Join("\n", wrong));
    }

    /// <summary>An edge that is gone stays out of the list, so the list shrinks to empty rather than going stale.</summary>
    [Fact]
    public void EveryEdgeStillBeingRemovedIsStillThere()
    {
        var present = Rules.WrongWayEdges(AllEdges()).ToHashSet();
        var gone = BeingRemovedByTheBackendVocabularyMove.Where(e => !present.Contains(e)).OrderBy(e => e.ToString()).ToList();
        Assert.True(gone.Count == 0, "no longer present, remove from the list:\n" + string.Join("\n", gone));
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
