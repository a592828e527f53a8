using System.Globalization;
using KvmStor.Host;

namespace KvmStor.Backends.Scsi;

/// <summary>
/// Finds the disk and cdrom LUNs of one SCSI host in /sys/bus/scsi/devices/H:B:T:L (the kernel's sysfs ABI): the 'type'
/// attribute, and the block device under 'block/' (or an old kernel's 'block:sdX' link). Other device types (tapes,
/// enclosures, array controllers…) and LUNs without a block device are skipped, as libvirt skips them. The scsi pool
/// (an adapter's host) and the iscsi pool (a session's host) both read their LUNs here.
/// </summary>
public sealed class ScsiLunScanner(HostRoots roots)
{
    private const string DevicesDir = "/sys/bus/scsi/devices";

    public IReadOnlyList<ScsiLun> List(uint host)
    {
        string devices = roots.OnHost(DevicesDir);
        if (!Directory.Exists(devices)) throw StorageException.System($"cannot open directory '{DevicesDir}'", Errno.ENOENT);
        var luns = new List<ScsiLun>();
        foreach (var entry in Directory.EnumerateFileSystemEntries(devices))
        {
            string name = Path.GetFileName(entry);
            if (!TryParseAddress(name, out var address) || address[0] != host) continue;
            int type = DeviceType(entry, name);
            if (type is not (ScsiDeviceType.Disk or ScsiDeviceType.Cdrom)) continue;
            string? block = BlockDevice(entry);
            if (block is null) continue;
            luns.Add(new ScsiLun(host, address[1], address[2], address[3], type, block, Size(entry, block)));
        }
        return luns.OrderBy(l => l.Bus).ThenBy(l => l.Target).ThenBy(l => l.Lun).ToList();
    }

    /// <summary>"H:B:T:L" with four unsigned numbers; targets such as "target0:0:0" or "host0" are not LUNs.</summary>
    public static bool TryParseAddress(string name, out uint[] address)
    {
        address = new uint[4];
        var parts = name.Split(':');
        if (parts.Length != 4) return false;
        for (int i = 0; i < 4; i++)
            if (parts[i].Length == 0 || !uint.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out address[i]))
                return false;
        return true;
    }

    private static int DeviceType(string lunDir, string name)
    {
        string text = SysfsAttribute.Read(Path.Combine(lunDir, "type"))
            ?? throw StorageException.System($"Could not find typefile '{DevicesDir}/{name}/type'", Errno.ENOENT);
        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int type)
            ? type
            : throw StorageException.Internal($"Device type '{text}' is not an integer");
    }

    /// <summary>New kernels: a 'block' directory holding one entry named after the device; old ones: a 'block:sdX' link.</summary>
    private static string? BlockDevice(string lunDir)
    {
        string blockDir = Path.Combine(lunDir, "block");
        if (Directory.Exists(blockDir))
            return Directory.EnumerateFileSystemEntries(blockDir).Select(Path.GetFileName).Order(StringComparer.Ordinal).FirstOrDefault();
        foreach (var entry in Directory.EnumerateFileSystemEntries(lunDir))
        {
            string name = Path.GetFileName(entry);
            if (name.StartsWith("block:", StringComparison.Ordinal) && name.Length > "block:".Length) return name["block:".Length..];
        }
        return null;
    }

    /// <summary>
    /// The block device's size attribute counts 512-byte sectors whatever the logical block size is; null when sysfs
    /// has none (the caller then asks the device itself).
    /// </summary>
    private ulong? Size(string lunDir, string block)
    {
        string[] candidates =
            [Path.Combine(lunDir, "block", block, "size"), Path.Combine(lunDir, "block:" + block, "size"), roots.OnHost($"/sys/class/block/{block}/size")];
        foreach (var candidate in candidates)
            if (SysfsAttribute.Read(candidate) is { } text && ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong sectors))
                return sectors * 512;
        return null;
    }
}
