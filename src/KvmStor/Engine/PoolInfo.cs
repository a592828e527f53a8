using KvmStor.Model;

namespace KvmStor.Engine;

/// <summary>A pool as pool-list / pool-info show it.</summary>
public sealed record PoolInfo
{
    public required string Name { get; init; }
    public required Guid Uuid { get; init; }
    public required PoolType Type { get; init; }
    public PoolState State { get; init; }
    public bool Active => State != PoolState.Inactive;
    public bool Persistent { get; init; }
    public bool Autostart { get; init; }
    public ulong Capacity { get; init; }
    public ulong Allocation { get; init; }
    public ulong Available { get; init; }
}

/// <summary>pool-list's filters (virConnectListAllStoragePools flags). Null means "either".</summary>
public sealed record PoolListFilter
{
    public bool? Active { get; init; }
    public bool? Persistent { get; init; }
    public bool? Autostart { get; init; }
    /// <summary>Empty: every type.</summary>
    public IReadOnlySet<PoolType> Types { get; init; } = new HashSet<PoolType>();
}
