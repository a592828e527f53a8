using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.Backends;

/// <summary>The backend of each pool type that has one; the source of pool-capabilities' supported='yes'.</summary>
public sealed class BackendRegistry
{
    private readonly Dictionary<PoolType, IPoolBackend> _backends = new();

    /// <summary>Where network backends get the CHAP/cephx values their pools' &lt;auth&gt; names; the host plugs itself in.</summary>
    public PoolSecretsBridge Secrets { get; } = new();

    /// <summary>Where file-volume backends keep the formats they recorded; the host plugs its store in.</summary>
    public VolumeFormatRecordsBridge VolumeFormats { get; } = new();

    public void Register(IPoolBackend backend)
    {
        if (backend is IUsesVolumeFormatRecords user) user.FormatRecords = VolumeFormats;
        _backends[backend.Type] = backend;
    }

    public IPoolBackend? Find(PoolType type) => _backends.GetValueOrDefault(type);

    /// <summary>The pool was stopped, undefined or redefined: the backend of its type closes the connection it kept for it.</summary>
    public void ForgetConnection(PoolDefinition pool)
    {
        if (Find(pool.Type) is IPoolConnectionKeeper keeper) keeper.ForgetConnection(pool);
    }

    /// <summary>Another process stopped or undefined the pool with this UUID: every backend that keeps connections closes its own for it.</summary>
    public void ForgetConnections(Guid poolUuid)
    {
        foreach (var keeper in _backends.Values.OfType<IPoolConnectionKeeper>()) keeper.ForgetConnections(poolUuid);
    }

    /// <summary>A secret changed: every backend that keeps connections drops those made with a value no longer current.</summary>
    public void SecretsChanged()
    {
        foreach (var keeper in _backends.Values.OfType<IPoolConnectionKeeper>()) keeper.SecretsChanged();
    }

    public bool IsSupported(PoolType type) => _backends.ContainsKey(type);

    /// <summary>Every backend, running external programs on the host.</summary>
    public static BackendRegistry CreateDefault() => CreateDefault(new ProcessCommandRunner());

    /// <summary>
    /// Every backend, with <paramref name="runner"/> as the one way they run external programs: the seam where a
    /// front-end hands in a runner tied to its Ctrl+C handling, and tests a replaying one.
    /// </summary>
    public static BackendRegistry CreateDefault(ICommandRunner runner)
    {
        var registry = new BackendRegistry();
        registry.Register(new Dir.DirPoolBackend(runner));
        registry.Register(new Fs.FsPoolBackend(runner));
        registry.Register(new Fs.NetFsPoolBackend(runner));
        registry.Register(new Logical.LogicalPoolBackend(runner));
        registry.Register(new Disk.DiskPoolBackend(runner));
        registry.Register(new Iscsi.IscsiPoolBackend(runner, registry.Secrets));
        registry.Register(new Sheepdog.SheepdogPoolBackend(runner));
        registry.Register(new Zfs.ZfsPoolBackend(runner));
        registry.Register(new Vstorage.VstoragePoolBackend(runner));
        registry.Register(new Scsi.ScsiPoolBackend(runner));
        registry.Register(new Mpath.MpathPoolBackend(runner));
        registry.Register(new IscsiDirect.IscsiDirectPoolBackend(registry.Secrets));
        registry.Register(new Gluster.GlusterPoolBackend(runner));
        registry.Register(new Rbd.RbdPoolBackend(registry.Secrets));
        return registry;
    }
}
