namespace KvmStor.Backends.Scsi;

/// <summary>
/// libvirt's stable path rule for LUNs: when the pool's target is a directory of udev links under /dev (by-path, by-id…),
/// the volume's path is the link in it that points to the device; with target /dev the device path itself is used.
/// </summary>
public sealed class StableDevicePath(HostRoots roots)
{
    /// <summary>A target directory below /dev (not /dev itself) holds stable links.</summary>
    public static bool IsStableTarget(string? target) =>
        target is not null && target != "/dev" && target != "/dev/" && target.StartsWith("/dev/", StringComparison.Ordinal);

    public static bool IsDevRoot(string? target) => target is "/dev" or "/dev/";

    /// <summary>
    /// The link in <paramref name="targetDir"/> that resolves to <paramref name="devicePath"/>, or the device path when
    /// none does. Links are tried in name order, so the answer does not depend on directory order.
    /// </summary>
    public string Find(string? targetDir, string devicePath)
    {
        if (!IsStableTarget(targetDir)) return devicePath;
        string dir = roots.OnHost(targetDir!.TrimEnd('/'));
        if (!Directory.Exists(dir))
            throw StorageException.System($"cannot read dir '{targetDir}'", Host.Errno.ENOENT);
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
        return devicePath;
    }
}
