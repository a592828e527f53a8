using KvmStor.Images;
using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.Backends.Sheepdog;

/// <summary>
/// A Sheepdog cluster through its dog CLI, as libvirt's backend drove it until libvirt 8.8 removed it: VDIs are the
/// volumes (type network, key "&lt;source name&gt;/&lt;vdi&gt;", path "&lt;vdi&gt;"). There is nothing to start, stop
/// or build; a refresh asks the cluster. Beyond libvirt: clones (a snapshot plus "dog vdi clone"), and volumes are
/// read from one listing instead of one dog run per VDI.
/// </summary>
public sealed class SheepdogPoolBackend : IPoolBackend, IVolumeBackend, IVolumeCreator, IVolumeCloner, IVolumeDeleter, IVolumeResizer
{
    private readonly SheepdogTool _dog;
    private readonly Func<string> _newSnapshotTag;

    /// <param name="newSnapshotTag">Names the snapshot a clone is made from (tests pass a fixed one).</param>
    /// <param name="networkLimit">Bound on each dog run; KVMSTOR_NETWORK_TIMEOUT (default 30 s) unless given.</param>
    public SheepdogPoolBackend(ICommandRunner runner, Func<string>? newSnapshotTag = null, TimeSpan? networkLimit = null)
    {
        _dog = new SheepdogTool(runner, networkLimit);
        _newSnapshotTag = newSnapshotTag ?? DefaultSnapshotTag;
    }

    public PoolType Type => PoolType.Sheepdog;

    public PoolRefreshResult Refresh(PoolDefinition pool)
    {
        var size = SheepdogOutput.ParseNodeInfo(_dog.Run(SheepdogCommands.NodeInfo(pool)).StandardOutput)
            ?? throw StorageException.Internal("cannot read the cluster size: 'dog node info -r' printed no 'Total' line");
        ulong used = Math.Min(size.Used, size.Capacity);
        return new PoolRefreshResult
        {
            Capacity = size.Capacity,
            Allocation = used,
            Available = size.Capacity - used,
            Volumes = ListVolumes(pool),
        };
    }

    public IReadOnlyList<VolumeDefinition> ListVolumes(PoolDefinition pool) =>
        SheepdogOutput.ParseVdiList(_dog.Run(SheepdogCommands.VdiList(pool)).StandardOutput)
            .Where(v => v.IsCurrent).Select(v => ToVolume(pool, v)).ToList();

    public VolumeDefinition? FindVolume(PoolDefinition pool, string name)
    {
        var result = _dog.Run(SheepdogCommands.VdiListOne(pool, name));
        var vdi = SheepdogOutput.ParseVdiList(result.StandardOutput).FirstOrDefault(v => v.IsCurrent && v.Name == name);
        return vdi is null ? null : ToVolume(pool, vdi);
    }

    /// <summary>
    /// Only a key "&lt;source name&gt;/&lt;vdi&gt;" or a bare VDI name can be one of this pool's; anything else (a file
    /// path, another pool's key) is answered without asking the cluster.
    /// </summary>
    public VolumeDefinition? FindVolumeByKeyOrPath(PoolDefinition pool, string keyOrPath)
    {
        string keyPrefix = KeyOf(pool, "");
        string? vdi = keyOrPath.StartsWith(keyPrefix, StringComparison.Ordinal) ? keyOrPath[keyPrefix.Length..]
            : keyOrPath.Contains('/') ? null : keyOrPath;
        if (string.IsNullOrEmpty(vdi) || vdi.Contains('/')) return null;
        var found = FindVolume(pool, vdi);
        return found is not null && (found.Key == keyOrPath || found.Target.Path == keyOrPath) ? found : null;
    }

    public VolumeDefinition CreateVolume(PoolDefinition pool, VolumeDefinition volume, VolumeCreateFlags flags,
        ByteProgress? progress, CancellationToken cancel)
    {
        RequirePlain(volume);
        if (volume.Capacity == 0)
            throw StorageException.NoSupport("volume capacity required for this pool");
        _dog.Run(SheepdogCommands.VdiCreate(pool, volume.Name, volume.Capacity));
        return FindVolume(pool, volume.Name) ?? Expected(pool, volume);
    }

    /// <summary>
    /// A copy-on-write clone: a snapshot of the source, then "dog vdi clone" from it, grown afterwards when the new
    /// volume asks for more. The snapshot stays: the clone reads its unchanged blocks from it.
    /// </summary>
    public VolumeDefinition CreateVolumeFrom(PoolDefinition pool, VolumeDefinition volume, PoolDefinition sourcePool,
        VolumeDefinition source, VolumeCreateFlags flags, ByteProgress? progress, CancellationToken cancel)
    {
        RequirePlain(volume);
        if (sourcePool.Type != PoolType.Sheepdog || SheepdogCommands.Address(sourcePool) != SheepdogCommands.Address(pool))
            throw StorageException.Unsupported("a sheepdog volume can only be cloned from a volume of the same sheepdog cluster");
        string tag = _newSnapshotTag();
        _dog.Run(SheepdogCommands.VdiSnapshot(pool, source.Name, tag));
        _dog.Run(SheepdogCommands.VdiClone(pool, source.Name, tag, volume.Name));
        if (volume.Capacity > source.Capacity)
        {
            try
            {
                _dog.Run(SheepdogCommands.VdiResize(pool, volume.Name, volume.Capacity));
            }
            catch (StorageException)
            {
                _dog.TryRun(SheepdogCommands.VdiDelete(pool, volume.Name));
                throw;
            }
        }
        return FindVolume(pool, volume.Name) ?? Expected(pool, volume);
    }

    public void DeleteVolume(PoolDefinition pool, VolumeDefinition volume, VolumeDeleteFlags flags) =>
        _dog.Run(SheepdogCommands.VdiDelete(pool, volume.Name));

    public void ResizeVolume(PoolDefinition pool, VolumeDefinition volume, ulong capacity, VolumeResizeFlags flags)
    {
        if (flags.HasFlag(VolumeResizeFlags.Allocate))
            throw StorageException.Unsupported("sheepdog allocates a volume's blocks on first write; --allocate is not supported");
        _dog.Run(SheepdogCommands.VdiResize(pool, volume.Name, capacity));
    }

    /// <summary>libvirt's key is the pool's source name (the pool name when none is given) and the VDI name; the path is the VDI name.</summary>
    public static string KeyOf(PoolDefinition pool, string vdi) => $"{pool.Source.Name ?? pool.Name}/{vdi}";

    private static VolumeDefinition ToVolume(PoolDefinition pool, SheepdogVdi vdi) => new()
    {
        Type = VolumeType.Network,
        Name = vdi.Name,
        Key = KeyOf(pool, vdi.Name),
        Capacity = vdi.Size,
        Allocation = Math.Min(vdi.Used, vdi.Size),
        HasAllocation = true,
        Target = new VolumeTarget { Path = vdi.Name },
    };

    /// <summary>What a create made, for the moment the cluster does not list it yet.</summary>
    private static VolumeDefinition Expected(PoolDefinition pool, VolumeDefinition volume) => volume with
    {
        Type = VolumeType.Network,
        Key = KeyOf(pool, volume.Name),
        Allocation = 0,
        HasAllocation = true,
        Target = new VolumeTarget { Path = volume.Name },
        BackingStore = null,
    };

    /// <summary>Sheepdog VDIs are raw and unencrypted; a backing store is a clone, made with vol-clone.</summary>
    private static void RequirePlain(VolumeDefinition volume)
    {
        if (volume.Target.Encryption is not null)
            throw StorageException.Unsupported("storage pool does not support encrypted volumes");
        if (volume.BackingStore is not null)
            throw StorageException.Unsupported("sheepdog volumes cannot have a backing store: use vol-clone for a copy-on-write clone");
    }

    private static string DefaultSnapshotTag() =>
        "kvmstor-clone-" + DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss", System.Globalization.CultureInfo.InvariantCulture)
        + "-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3));
}
