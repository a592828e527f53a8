using KvmStor.Model;

namespace KvmStor.Backends.Rbd;

/// <summary>How libvirt presents an RBD image as a volume.</summary>
internal static class RbdVolumes
{
    public static VolumeDefinition Describe(string cephPool, RbdImageSummary image) => new()
    {
        Type = VolumeType.Network,
        Name = image.Name,
        Key = $"{cephPool}/{image.Name}",
        Capacity = image.Capacity,
        Allocation = image.Allocation,
        HasAllocation = true,
        Target = new VolumeTarget { Path = $"{cephPool}/{image.Name}", Format = "raw" },
    };

    /// <summary>
    /// The allocation a pool reports: by default the bytes in allocated objects (from the object map when fast-diff is
    /// on; libvirt asks for it only with an explicit &lt;refresh&gt;&lt;volume allocation='default'/&gt;), and the
    /// objects × object size of the whole image with allocation='capacity' — the cheap figure libvirt added that
    /// setting for.
    /// </summary>
    public static bool ExactAllocation(PoolDefinition pool) => pool.RefreshVolumeAllocation != VolumeAllocationRefresh.Capacity;
}
