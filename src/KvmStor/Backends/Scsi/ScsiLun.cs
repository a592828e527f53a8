namespace KvmStor.Backends.Scsi;

/// <summary>SCSI peripheral device types (SPC "PERIPHERAL DEVICE TYPE"; sysfs 'type') that become volumes.</summary>
public static class ScsiDeviceType
{
    public const int Disk = 0;
    public const int Cdrom = 5;
}

/// <summary>One logical unit of a SCSI host as sysfs shows it: its address, type and block device (sdX, srX).</summary>
/// <param name="BlockDevice">The kernel name of the LUN's block device, e.g. "sdb".</param>
/// <param name="Size">Bytes, from the block device's size attribute (always 512-byte sectors).</param>
public sealed record ScsiLun(uint Host, uint Bus, uint Target, uint Lun, int DeviceType, string BlockDevice, ulong? Size)
{
    /// <summary>libvirt's volume name: the host number is left out so names stay unique within one pool.</summary>
    public string VolumeName => $"unit:{Bus}:{Target}:{Lun}";

    public string DevicePath => "/dev/" + BlockDevice;
}
