using System.Text.Json;
using KvmStor.Engine;

namespace KvmStor.Cli.Output;

/// <summary>
/// The --json form of a pool (pool-list, pool-info). Field names are a stable interface; sizes are bytes,
/// null while the pool is not running.
/// </summary>
public sealed record PoolJson(
    string Name,
    string Uuid,
    string Type,
    string State,
    bool Active,
    bool Persistent,
    bool Autostart,
    ulong? Capacity,
    ulong? Allocation,
    ulong? Available)
{
    public static PoolJson From(PoolInfo pool)
    {
        bool sized = PoolFormatting.HasSizes(pool);
        return new PoolJson(pool.Name, pool.Uuid.ToString(), Model.PoolTypeNames.ToXmlName(pool.Type),
            Model.PoolStateNames.ToDisplay(pool.State), pool.Active, pool.Persistent, pool.Autostart,
            sized ? pool.Capacity : null, sized ? pool.Allocation : null, sized ? pool.Available : null);
    }

    public static string Serialize(PoolInfo pool) =>
        JsonSerializer.Serialize(From(pool), CliJsonContext.Default.PoolJson) + "\n";

    public static string Serialize(IEnumerable<PoolInfo> pools) =>
        JsonSerializer.Serialize(pools.Select(From).ToArray(), CliJsonContext.Default.PoolJsonArray) + "\n";
}
