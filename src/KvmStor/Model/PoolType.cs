namespace KvmStor.Model;

/// <summary>libvirt's virStoragePoolType, in libvirt's numeric order (the order matters for capabilities output).</summary>
public enum PoolType
{
    Dir, Fs, NetFs, Logical, Disk, Iscsi, IscsiDirect, Scsi, Mpath, Rbd, Sheepdog, Gluster, Zfs, Vstorage,
}

public static class PoolTypeNames
{
    private static readonly string[] Names =
        ["dir", "fs", "netfs", "logical", "disk", "iscsi", "iscsi-direct", "scsi", "mpath", "rbd", "sheepdog", "gluster", "zfs", "vstorage"];

    public static IReadOnlyList<PoolType> All { get; } = Enum.GetValues<PoolType>();

    public static string ToXmlName(this PoolType type) => Names[(int)type];

    public static bool TryParse(string? name, out PoolType type)
    {
        int i = name is null ? -1 : Array.IndexOf(Names, name);
        type = i < 0 ? default : (PoolType)i;
        return i >= 0;
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
