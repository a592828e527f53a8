using KvmStor.Model;

namespace KvmStor.Engine;

/// <summary>
/// libvirt's "Storage source conflict with pool" rule: two pools may not manage the same storage. Which fields
/// count is the type's <see cref="PoolTypeInfo.SourceConflict"/> (spec §6: dir same target path; netfs same host and
/// dir; device-based types a shared device; mpath any second pool; …).
/// </summary>
internal static class PoolSourceConflicts
{
    /// <summary>The name of an existing pool whose storage <paramref name="candidate"/> would also manage, or null.</summary>
    public static string? Find(PoolDefinition candidate, IEnumerable<PoolDefinition> others)
    {
        foreach (var other in others)
            if (other.Name != candidate.Name && Conflicts(candidate, other))
                return other.Name;
        return null;
    }

    private static bool Conflicts(PoolDefinition a, PoolDefinition b)
    {
        var rule = PoolTypeInfo.For(a.Type).SourceConflict;
        if (a.Type != b.Type)
            return SharesDevice(a, b) && rule == SourceConflictRule.SharedDevice
                && PoolTypeInfo.For(b.Type).SourceConflict == SourceConflictRule.SharedDevice;
        return rule switch
        {
            SourceConflictRule.SameTargetPath => SamePath(a.TargetPath, b.TargetPath),
            SourceConflictRule.SameHostAndDir => SameHosts(a, b) && SamePath(a.Source.Dir, b.Source.Dir),
            SourceConflictRule.SharedDevice => SharesDevice(a, b),
            SourceConflictRule.SameHostDeviceAndInitiator => SameHosts(a, b) && SharesDevice(a, b) && a.Source.InitiatorIqn == b.Source.InitiatorIqn,
            SourceConflictRule.SameAdapter => a.Source.Adapter is { } x && b.Source.Adapter is { } y && SameAdapter(x, y),
            SourceConflictRule.AnyOther => true,
            SourceConflictRule.SameHostAndName => SameHosts(a, b) && a.Source.Name == b.Source.Name,
            SourceConflictRule.SameHostNameAndDir => SameHosts(a, b) && a.Source.Name == b.Source.Name && SamePath(a.Source.Dir, b.Source.Dir),
            SourceConflictRule.SameName => a.Source.Name == b.Source.Name,
            _ => throw new InvalidOperationException($"source conflict rule {rule} of pool type {a.Type} has no check"),
        };
    }

    private static bool SamePath(string? a, string? b) =>
        a is not null && b is not null && Normalize(a) == Normalize(b);

    private static string Normalize(string p) => p.Length > 1 ? p.TrimEnd('/') : p;

    /// <summary>The same device, or one pool's device is a partition of the other's (a disk pool on sda, an fs pool on sda1).</summary>
    private static bool SharesDevice(PoolDefinition a, PoolDefinition b) =>
        a.Source.Devices.Any(d => b.Source.Devices.Any(e =>
            SamePath(d.Path, e.Path) || Host.DeviceUsage.IsPartitionOf(d.Path, e.Path) || Host.DeviceUsage.IsPartitionOf(e.Path, d.Path)));

    private static bool SameHosts(PoolDefinition a, PoolDefinition b) =>
        a.Source.Hosts.Any(h => b.Source.Hosts.Any(k => string.Equals(h.Name, k.Name, StringComparison.OrdinalIgnoreCase)
                                                        && (h.Port ?? 0) == (k.Port ?? 0)));

    private static bool SameAdapter(PoolAdapter x, PoolAdapter y) =>
        x.Kind == y.Kind && (x.Kind == AdapterKind.FcHost
            ? x.Wwnn == y.Wwnn && x.Wwpn == y.Wwpn
            : (x.Name is not null && x.Name == y.Name)
              || (x.ParentAddress is not null && x.ParentAddress == y.ParentAddress && x.ParentUniqueId == y.ParentUniqueId));
}
