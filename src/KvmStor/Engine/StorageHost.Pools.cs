using KvmStor.Backends;
using KvmStor.Model;

namespace KvmStor.Engine;

// Contract of the pool operations (the CLI codes against these signatures; the engine implements them).
public sealed partial class StorageHost
{
    /// <summary>Pools matching the filter, sorted by name (case-insensitive) as virsh sorts them.</summary>
    public IReadOnlyList<PoolInfo> ListPools(PoolListFilter filter) => throw new NotImplementedException();

    /// <summary>virsh's lookup: a 36-character argument is tried as a UUID first, then as a name.</summary>
    public PoolInfo LookupPool(string nameOrUuid) => throw new NotImplementedException();
    public PoolInfo LookupPoolByName(string name) => throw new NotImplementedException();
    public PoolInfo LookupPoolByUuid(string uuid) => throw new NotImplementedException();

    /// <summary>pool-define: a new persistent pool, or a new definition for an existing one (applied at its next start if running).</summary>
    public PoolInfo DefinePool(string xml) => throw new NotImplementedException();
    /// <summary>pool-create: a transient pool, started at once (built first with <see cref="PoolBuildFlags.Build"/>).</summary>
    public PoolInfo CreatePool(string xml, PoolBuildFlags flags) => throw new NotImplementedException();
    public void BuildPool(string name, PoolBuildFlags flags) => throw new NotImplementedException();
    public void StartPool(string name, PoolBuildFlags flags) => throw new NotImplementedException();
    public void DestroyPool(string name) => throw new NotImplementedException();
    public void DeletePool(string name) => throw new NotImplementedException();
    public void UndefinePool(string name) => throw new NotImplementedException();
    public void SetAutostart(string name, bool autostart) => throw new NotImplementedException();
    public void RefreshPool(string name) => throw new NotImplementedException();
    public PoolInfo GetPoolInfo(string name) => throw new NotImplementedException();
    /// <summary>pool-dumpxml: the live definition, or with <paramref name="inactive"/> the one the next start will use.</summary>
    public string GetPoolXml(string name, bool inactive) => throw new NotImplementedException();
    /// <summary>find-storage-pool-sources: a &lt;sources&gt; document from the type's backend.</summary>
    public string FindPoolSources(string type, string? sourceSpecXml) => throw new NotImplementedException();
    /// <summary>pool-capabilities, from the backend registry.</summary>
    public string GetCapabilitiesXml() => throw new NotImplementedException();

    /// <summary>Starts autostart pools once per host boot (the first kvmstor use after boot, or the shipped systemd unit).</summary>
    public void RunAutostartOncePerBoot() => throw new NotImplementedException();

    /// <summary>Events emitted by any kvmstor process on this connection from now on; blocks until cancelled.</summary>
    public IEnumerable<PoolEvent> WatchEvents(CancellationToken cancel) => throw new NotImplementedException();
}
