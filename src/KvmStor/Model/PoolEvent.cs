namespace KvmStor.Model;

/// <summary>What happened to a pool; shared by the engine that emits it, the event log that keeps it and every front-end.</summary>
public enum PoolLifecycleEvent { Defined, Undefined, Started, Stopped, Created, Deleted }

/// <summary>One event as pool-event prints it: lifecycle with a detail, or refresh.</summary>
public sealed record PoolEvent(string PoolName, Guid PoolUuid, PoolLifecycleEvent? Lifecycle, DateTimeOffset Time)
{
    public bool IsRefresh => Lifecycle is null;
}
