using KvmStor.Model;

namespace KvmStor.Backends;

/// <summary>What a refresh learned about a running pool.</summary>
public sealed record PoolRefreshResult
{
    public ulong Capacity { get; init; }
    public ulong Allocation { get; init; }
    public ulong Available { get; init; }
    /// <summary>The target directory's actual owner/group/mode, when the backend has one.</summary>
    public Permissions? TargetPermissions { get; init; }
    public IReadOnlyList<VolumeDefinition> Volumes { get; init; } = [];
    /// <summary>The pool's source as the host shows it now (disk pools: free extents, the resolved label); null keeps the definition's.</summary>
    public PoolSource? Source { get; init; }
}

/// <summary>
/// One pool type's host-side work: what every backend does. Everything else a backend can do it says by implementing
/// the optional interfaces in PoolCapabilityInterfaces.cs and VolumeCapabilityInterfaces.cs (<see cref="IPoolBuilder"/>,
/// <see cref="IVolumeCreator"/>…); <see cref="BackendCapabilityTable"/> derives its capabilities from them. Backends never read the config store and
/// never print; they throw <see cref="StorageException"/> with libvirt's texts.
/// </summary>
public interface IPoolBackend
{
    PoolType Type { get; }

    /// <summary>Sizes, volumes and what else the host shows of a running pool; a failure stops the pool.</summary>
    PoolRefreshResult Refresh(PoolDefinition pool);
}
