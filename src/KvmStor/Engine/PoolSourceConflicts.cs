using KvmStor.Model;

namespace KvmStor.Engine;

/// <summary>
/// libvirt's "Storage source conflict with pool" rule: two pools may not manage the same storage. Which fields
/// count depends on the type (spec §6: dir same target path; netfs same host and dir; device-based types a shared
/// device; mpath any second pool; …).
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
        if (a.Type != b.Type)
            return SharesDevice(a, b) && IsDeviceBased(a.Type) && IsDeviceBased(b.Type);
        return a.Type switch
        {
            PoolType.Dir => SamePath(a.TargetPath, b.TargetPath),
            PoolType.NetFs => SameHosts(a, b) && SamePath(a.Source.Dir, b.Source.Dir),
            PoolType.Fs or PoolType.Logical or PoolType.Disk or PoolType.Zfs => SharesDevice(a, b),
            PoolType.Iscsi or PoolType.IscsiDirect => SameHosts(a, b) && SharesDevice(a, b) && a.Source.InitiatorIqn == b.Source.InitiatorIqn,
            PoolType.Scsi => a.Source.Adapter is { } x && b.Source.Adapter is { } y && SameAdapter(x, y),
            PoolType.Mpath => true,
            PoolType.Rbd or PoolType.Sheepdog => SameHosts(a, b) && a.Source.Name == b.Source.Name,
            PoolType.Gluster => SameHosts(a, b) && a.Source.Name == b.Source.Name && SamePath(a.Source.Dir, b.Source.Dir),
            PoolType.Vstorage => a.Source.Name == b.Source.Name,
            _ => false,
        };
    }

    private static bool IsDeviceBased(PoolType t) => t is PoolType.Fs or PoolType.Logical or PoolType.Disk or PoolType.Zfs;

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
