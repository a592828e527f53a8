using KvmStor.Model;

namespace KvmStor.Backends;

// The optional pool-level abilities of a backend. A backend implements the ones it has; the engine asks for them
// with "is" (a missing build, start or stop is skipped, as in libvirt) or through BackendCapabilityTable.Require
// (a missing delete or source discovery is libvirt's "does not support" error).

/// <summary>Can tell whether a pool recorded as running still runs (dir: target exists; fs: mounted…). Without one it is taken as running.</summary>
public interface IPoolChecker
{
    bool CheckActive(PoolDefinition pool);
}

/// <summary>pool-build: makes the pool's storage (a directory, a file system, a volume group, a label…).</summary>
public interface IPoolBuilder
{
    void Build(PoolDefinition pool, PoolBuildFlags flags);
}

/// <summary>pool-start: brings the storage up on this host (mount, login, vgchange -ay…).</summary>
public interface IPoolStarter
{
    void Start(PoolDefinition pool);
}

/// <summary>pool-destroy: takes the storage down again (also after a start whose first refresh failed).</summary>
public interface IPoolStopper
{
    void Stop(PoolDefinition pool);
}

/// <summary>pool-delete: destroys the pool's storage.</summary>
public interface IPoolDeleter
{
    void Delete(PoolDefinition pool);
}

/// <summary>find-storage-pool-sources: the pool sources the host can see; Xml formats them as &lt;sources&gt;.</summary>
public interface ISourceFinder
{
    /// <param name="sourceSpecXml">the &lt;source&gt; spec the user gave (srcSpec), or null</param>
    IReadOnlyList<PoolSource> FindSources(string? sourceSpecXml);
}
