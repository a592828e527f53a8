namespace KvmStor.Guests;

/// <summary>Which bus can carry which kind of disk, checked before a definition is written.</summary>
public static class DiskRules
{
    public static readonly string[] Buses = ["virtio", "scsi", "sata", "ide", "usb", "fdc"];

    public static void Validate(DiskDefinition disk, string? machine)
    {
        string bus = disk.Bus;
        if (!Buses.Contains(bus))
            throw StorageException.Unsupported($"unsupported disk bus '{bus}'");
        if (disk.Device == "cdrom" && bus == "virtio")
            throw StorageException.Unsupported($"disk type 'virtio' of '{disk.TargetDev}' does not support ejectable media");
        if (disk.Device == "lun" && bus is not ("virtio" or "scsi"))
            throw StorageException.Unsupported($"disk device='lun' is not supported for bus='{bus}'");
        if (disk.Device == "lun" && disk.Type is not ("block" or "network" or "volume"))
            throw StorageException.Xml("disk device='lun' is only valid for block type disk source");
        if (disk.Device == "floppy" && bus != "fdc")
            throw StorageException.Xml($"Invalid bus type '{bus}' for floppy disk");
        if (disk.Device != "floppy" && bus == "fdc")
            throw StorageException.Xml($"Invalid bus type '{bus}' for disk");
        if (bus == "ide" && IsQ35(machine))
            throw StorageException.Unsupported("IDE controllers are unsupported for this QEMU binary or machine type");
    }

    public static bool IsQ35(string? machine) => machine is not null && machine.Contains("q35", StringComparison.Ordinal);
}
