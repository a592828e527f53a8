using System.Globalization;

namespace KvmStor.Backends.Iscsi;

/// <summary>A SCSI logical unit with a block device: its H:B:T:L address, the kernel's node name (sdb) and its size.</summary>
internal sealed record ScsiLun(uint Host, uint Bus, uint Target, uint Lun, string BlockDevice, ulong Size)
{
    /// <summary>libvirt's volume name: the host number is left out, the kernel hands it out first come, first served.</summary>
    public string VolumeName => $"unit:{Bus}:{Target}:{Lun}";

    public string DevicePath => "/dev/" + BlockDevice;
}

/// <summary>
/// Reads an iSCSI session's logical units from sysfs as libvirt does: the SCSI host number from the session's
/// "targetH:B:T" entry, then every /sys/bus/scsi/devices/H:B:T:L of that host whose peripheral type is a disk (0)
/// or a CD-ROM (5) and that has a block device. Sizes come from the block device's sysfs "size" (512-byte sectors),
/// the number the kernel also returns for the device's own size, without opening the device.
/// </summary>
internal sealed class ScsiLunScanner(IscsiHostPaths paths)
{
    private const int TypeDisk = 0, TypeRom = 5;

    public uint HostNumber(string sessionId)
    {
        string sysfsPath = $"/sys/class/iscsi_session/session{sessionId}/device";
        string dir = paths.Map(sysfsPath);
        if (!Directory.Exists(dir)) throw StorageException.System($"cannot open directory '{sysfsPath}'", Host.Errno.ENOENT);
        foreach (var name in Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal))
        {
            if (!name!.StartsWith("target", StringComparison.Ordinal)) continue;
            string digits = new(name["target".Length..].TakeWhile(char.IsAsciiDigit).ToArray());
            if (!uint.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out uint host) || name.Length == "target".Length + digits.Length || name["target".Length + digits.Length] != ':')
                throw StorageException.Internal($"Failed to parse target '{name}'");
            return host;
        }
        throw StorageException.Internal($"Failed to get host number for iSCSI session with path '{sysfsPath}'");
    }

    /// <summary>The disk and CD-ROM units of SCSI host <paramref name="host"/>, by bus, target and LUN.</summary>
    public IReadOnlyList<ScsiLun> Luns(uint host)
    {
        string devices = paths.Map("/sys/bus/scsi/devices");
        if (!Directory.Exists(devices)) throw StorageException.System("cannot open directory '/sys/bus/scsi/devices'", Host.Errno.ENOENT);
        var luns = new List<ScsiLun>();
        foreach (var entry in Directory.EnumerateFileSystemEntries(devices))
        {
            if (!TryAddress(Path.GetFileName(entry), out var address) || address[0] != host) continue;
            int type = DeviceType(entry, Path.GetFileName(entry));
            if (type is not (TypeDisk or TypeRom)) continue;
            if (BlockDevice(entry) is not { } block) continue;
            luns.Add(new ScsiLun(address[0], address[1], address[2], address[3], block, SizeOf(entry, block)));
        }
        return luns.OrderBy(l => l.Bus).ThenBy(l => l.Target).ThenBy(l => l.Lun).ToList();
    }

    private static bool TryAddress(string name, out uint[] address)
    {
        var parts = name.Split(':');
        address = new uint[4];
        if (parts.Length != 4) return false;
        for (int i = 0; i < 4; i++)
            if (!uint.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out address[i])) return false;
        return true;
    }

    private static int DeviceType(string lunDir, string name)
    {
        string file = Path.Combine(lunDir, "type");
        if (!File.Exists(file)) throw StorageException.System($"Could not find typefile '/sys/bus/scsi/devices/{name}/type'", Host.Errno.ENOENT);
        string text = File.ReadAllText(file).Trim();
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int type)
            ? type : throw StorageException.Internal($"Device type '{text}' is not an integer");
    }

    /// <summary>The block device name: "block/sdb" (current kernels) or a "block:sdb" entry (old ones).</summary>
    private static string? BlockDevice(string lunDir)
    {
        string modern = Path.Combine(lunDir, "block");
        if (Directory.Exists(modern))
            return Directory.EnumerateFileSystemEntries(modern).Select(Path.GetFileName).Order(StringComparer.Ordinal).FirstOrDefault();
        return Directory.EnumerateFileSystemEntries(lunDir, "block:*").Select(e => Path.GetFileName(e)!["block:".Length..]).FirstOrDefault();
    }

    private ulong SizeOf(string lunDir, string block)
    {
        string[] candidates = [Path.Combine(lunDir, "block", block, "size"), paths.Map($"/sys/class/block/{block}/size")];
        foreach (var file in candidates)
            if (File.Exists(file) && ulong.TryParse(File.ReadAllText(file).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out ulong sectors))
                return sectors * 512;
        throw StorageException.Internal($"cannot read the size of '/dev/{block}' from sysfs");
    }
}
