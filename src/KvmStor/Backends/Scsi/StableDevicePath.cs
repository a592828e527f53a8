using KvmStor.Host;

namespace KvmStor.Backends.Scsi;

/// <summary>
/// libvirt's stable path rule for LUNs: when the pool's target is a directory of udev links under /dev (by-path, by-id…),
/// the volume's path is the link in it that points to the device; with target /dev the device path itself is used; any
/// other target cannot name LUNs.
/// </summary>
public sealed class StableDevicePath(HostRoots roots)
{
    /// <summary>A target directory below /dev (not /dev itself) holds stable links.</summary>
    public static bool IsStableTarget(string? target) =>
        target is not null && target != "/dev" && target != "/dev/" && target.StartsWith("/dev/", StringComparison.Ordinal);

    public static bool IsDevRoot(string? target) => target is "/dev" or "/dev/";

    /// <summary>
    /// The volume path of <paramref name="devicePath"/> (e.g. /dev/sdb) in a pool whose target is
    /// <paramref name="targetDir"/>, or null when no link names the device (yet). Links are tried in name order, so a
    /// directory holding several names for one device (by-id) always gives the same one.
    /// </summary>
    public string? Find(string? targetDir, string devicePath)
    {
        if (IsDevRoot(targetDir)) return devicePath;
        if (!IsStableTarget(targetDir))
            throw StorageException.InvalidArg($"unable to use target path '{targetDir ?? "(null)"}' for dev '{Path.GetFileName(devicePath)}'");
        string dir = roots.OnHost(targetDir!.TrimEnd('/'));
        if (!Directory.Exists(dir))
            throw StorageException.System($"cannot read dir '{targetDir}'", Errno.ENOENT);
        string device = Path.GetFullPath(roots.OnHost(devicePath));
        foreach (var entry in Directory.EnumerateFileSystemEntries(dir).Order(StringComparer.Ordinal))
        {
            var info = new FileInfo(entry);
            if (info.LinkTarget is null) continue;
            try
            {
                if (info.ResolveLinkTarget(returnFinalTarget: true)?.FullName == device)
                    return targetDir.TrimEnd('/') + "/" + Path.GetFileName(entry);
            }
            catch (IOException) { }
        }
        return null;
    }
}
