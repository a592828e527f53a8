using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.Backends.Devices;

/// <summary>A device the host already has (a LUN, a multipath map) as libvirt shows it: a block volume of the device's size.</summary>
public static class DeviceVolume
{
    /// <param name="status">The device node's status (its permissions and timestamps), or null when it cannot be read.</param>
    public static VolumeDefinition Block(string name, string path, ulong size, FileSystemStatus? status, string? key = null) => new()
    {
        Type = VolumeType.Block,
        Name = name,
        Key = key,
        Capacity = size,
        Allocation = size,
        HasAllocation = true,
        // libvirt reads block volumes like any device: physical is the device size.
        Physical = size,
        Target = new VolumeTarget
        {
            Path = path,
            Permissions = status is null ? null : new Permissions { Mode = status.Mode & 0x1FF, Owner = status.Owner, Group = status.Group },
            Timestamps = status is null ? null : new VolumeTimestamps(status.Accessed.ToLibvirtString(), status.Modified.ToLibvirtString(),
                status.Changed.ToLibvirtString(), "0"),
        },
    };
}
