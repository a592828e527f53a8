namespace KvmStor.Model;

/// <summary>libvirt's virStoragePoolType, in libvirt's numeric order (the order matters for capabilities output).</summary>
public enum PoolType
{
    Dir, Fs, NetFs, Logical, Disk, Iscsi, IscsiDirect, Scsi, Mpath, Rbd, Sheepdog, Gluster, Zfs, Vstorage,
}

/// <summary>Pool type names as libvirt writes them (kept in <see cref="PoolTypeInfo.XmlName"/>).</summary>
public static class PoolTypeNames
{
    public static IReadOnlyList<PoolType> All { get; } = Enum.GetValues<PoolType>();

    public static string ToXmlName(this PoolType type) => PoolTypeInfo.For(type).XmlName;

    public static bool TryParse(string? name, out PoolType type)
    {
        foreach (var info in PoolTypeInfo.All)
            if (info.XmlName == name)
            {
                type = info.Type;
                return true;
            }
        type = default;
        return false;
    }
}

/// <summary>The states virsh shows (virStoragePoolState).</summary>
public enum PoolState { Inactive, Building, Running, Degraded, Inaccessible }

public static class PoolStateNames
{
    public static string ToDisplay(this PoolState s) => s switch
    {
        PoolState.Inactive => "inactive",
        PoolState.Building => "building",
        PoolState.Running => "running",
        PoolState.Degraded => "degraded",
        _ => "inaccessible",
    };
}
