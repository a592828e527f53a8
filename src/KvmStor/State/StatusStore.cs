using KvmStor.Host;
using KvmStor.Model;
using KvmStor.Xml;

namespace KvmStor.State;

/// <summary>
/// Runtime status of running pools: &lt;state&gt;/&lt;name&gt;.xml holding the live definition in a &lt;poolstate&gt;
/// wrapper. A pool is running exactly when its status file exists. Unlike libvirt, which keeps sizes in daemon memory,
/// the file carries the sizes of the last refresh, since kvmstor has no daemon.
/// </summary>
public sealed class StatusStore(StatePaths paths)
{
    public string PathOf(string name) => Path.Combine(paths.StateDirectory, name + ".xml");

    public IEnumerable<string> Names() => PoolFiles.Names(paths.StateDirectory);

    /// <summary>Parsed definitions kept while their files are unchanged (the server reads them on every call).</summary>
    private readonly ParsedFileCache<PoolDefinition> _parsed = new();

    public PoolDefinition? Load(string name) => PoolFiles.Load(_parsed, PathOf(name), name, PoolStateXml.ParseStatus);

    public void Save(PoolDefinition live)
    {
        RuntimeDirectory.Ensure(paths.StateDirectory);
        AtomicFile.Write(PathOf(live.Name), PoolStateXml.FormatStatus(live));
    }

    /// <summary>
    /// Saves a running pool's new sizes (a volume created or deleted moved them). The old status stays whole if a
    /// crash loses this replacement, which costs only stale sizes until the next refresh; so the directory is not
    /// synced (one sync fewer on every vol-create and vol-delete).
    /// </summary>
    public void SaveSizes(PoolDefinition live) => AtomicFile.WriteLosable(PathOf(live.Name), PoolStateXml.FormatStatus(live));

    public void Delete(string name) => AtomicFile.Delete(PathOf(name));
}
