namespace KvmStor.Backends.Iscsi;

/// <summary>
/// libvirt's stable path of a device: the entry of the pool's target directory (normally /dev/disk/by-path) that
/// resolves to the device node. A target directory of /dev itself means the plain node; a target outside /dev
/// cannot hold stable names.
/// </summary>
internal sealed class StableDevicePath(IscsiHostPaths paths)
{
    /// <summary>The stable path of <paramref name="devicePath"/> (e.g. /dev/sdb), or null when no link names it (yet).</summary>
    public string? Find(string? targetPath, string devicePath)
    {
        string target = (targetPath ?? "").TrimEnd('/');
        if (target is "/dev" or "") return target == "/dev" ? devicePath : throw Unusable(targetPath, devicePath);
        if (!target.StartsWith("/dev/", StringComparison.Ordinal)) throw Unusable(targetPath, devicePath);

        string dir = paths.Map(target);
        if (!Directory.Exists(dir)) throw StorageException.System($"cannot read dir '{target}'", Host.Errno.ENOENT);
        string node = Path.GetFullPath(paths.Map(devicePath));
        // Sorted, so that a directory holding several names for one device (by-id) always gives the same one.
        foreach (var entry in Directory.EnumerateFileSystemEntries(dir).Order(StringComparer.Ordinal))
        {
            if (ResolvesTo(entry, node)) return target + "/" + Path.GetFileName(entry);
        }
        return null;
    }

    private static bool ResolvesTo(string entry, string node)
    {
        try
        {
            var info = new FileInfo(entry);
            if (info.LinkTarget is null) return Path.GetFullPath(entry) == node;
            return info.ResolveLinkTarget(returnFinalTarget: true)?.FullName == node;
        }
        catch (IOException) { return false; }
    }

    private static StorageException Unusable(string? targetPath, string devicePath) =>
        StorageException.InvalidArg($"unable to use target path '{targetPath ?? "(null)"}' for dev '{devicePath.Split('/')[^1]}'");
}
