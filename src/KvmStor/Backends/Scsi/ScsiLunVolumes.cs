using KvmStor.Backends.Devices;
using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.Backends.Scsi;

/// <summary>
/// The LUNs of one SCSI host as block volumes, as libvirt lists them for both scsi and iscsi pools: every disk or cdrom
/// LUN at its stable path in the pool's target directory, sized from sysfs (else by the device itself). LUNs without a
/// stable name, or whose node cannot be read, are skipped as libvirt skips them. Keys are left out: each costs a scsi_id
/// run (<see cref="ScsiSerial"/>), so callers add them only to the volumes they hand out.
/// </summary>
public sealed class ScsiLunVolumes(HostRoots roots)
{
    private readonly ScsiLunScanner _scanner = new(roots);
    private readonly StableDevicePath _stablePaths = new(roots);

    public List<VolumeDefinition> List(string? targetPath, uint host)
    {
        var volumes = new List<VolumeDefinition>();
        foreach (var lun in _scanner.List(host))
        {
            if (_stablePaths.Find(targetPath, lun.DevicePath) is not { } path) continue;
            string onHost = roots.OnHost(path);
            if (!FileSystem.TryStat(onHost, true, out var status, out _)) continue;
            volumes.Add(DeviceVolume.Block(lun.VolumeName, path, lun.Size ?? DeviceSize(onHost, status), status));
        }
        return volumes;
    }

    private static ulong DeviceSize(string path, FileSystemStatus status)
    {
        if (status.Kind != FileKind.BlockDevice) return status.Size;
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
            return FileSystem.BlockDeviceSize(handle);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }
}
