using KvmStor.Model;

namespace KvmStor.Engine;

/// <summary>
/// One pool as the stores know it: its persistent definition (null for a transient pool) and its live definition
/// (null when not running). The live definition wins for display; the persistent one is what the next start uses.
/// </summary>
internal sealed record PoolRecord(string Name, PoolDefinition? Config, PoolDefinition? Live, bool Autostart)
{
    public PoolDefinition Current => Live ?? Config!;
    public bool Active => Live is not null;
    public bool Persistent => Config is not null;

    public PoolInfo ToInfo() => new()
    {
        Name = Name,
        Uuid = Current.Uuid,
        Type = Current.Type,
        State = Active ? PoolState.Running : PoolState.Inactive,
        Persistent = Persistent,
        Autostart = Autostart,
        Capacity = Current.Capacity,
        Allocation = Current.Allocation,
        Available = Current.Available,
    };
}
