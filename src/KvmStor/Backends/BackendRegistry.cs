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

    public bool IsSupported(PoolType type) => _backends.ContainsKey(type);

    public static BackendRegistry CreateDefault()
    {
        var registry = new BackendRegistry();
        registry.Register(new Dir.DirPoolBackend());
        registry.Register(new Fs.FsPoolBackend());
        registry.Register(new Fs.NetFsPoolBackend());
        registry.Register(new Logical.LogicalPoolBackend());
        registry.Register(new Disk.DiskPoolBackend());
        registry.Register(new Iscsi.IscsiPoolBackend(registry.Secrets));
        registry.Register(new Sheepdog.SheepdogPoolBackend());
        registry.Register(new Zfs.ZfsPoolBackend());
        registry.Register(new Vstorage.VstoragePoolBackend());
        registry.Register(new Scsi.ScsiPoolBackend());
        registry.Register(new Mpath.MpathPoolBackend());
        registry.Register(new IscsiDirect.IscsiDirectPoolBackend(registry.Secrets));
        registry.Register(new Gluster.GlusterPoolBackend());
        registry.Register(new Rbd.RbdPoolBackend(registry.Secrets));
        return registry;
    }
}
