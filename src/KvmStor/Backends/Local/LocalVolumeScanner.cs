using KvmStor.Images;
using KvmStor.Model;

namespace KvmStor.Backends.Local;

/// <summary>
/// Lists every entry of a pool directory as a volume, as libvirt's refresh does: regular files (symlinks followed)
/// and sub-directories, each probed for its image format; FIFOs, sockets, dangling links, names with control
/// characters and unreadable entries are skipped silently. Volumes still being built (hidden partial names) are
/// skipped too, and partial files of processes that died are removed.
/// </summary>
public static class LocalVolumeScanner
{
    public static IReadOnlyList<VolumeDefinition> Scan(string directory)
    {
        PartialVolumeFile.RemoveStale(directory);
        var volumes = new List<VolumeDefinition>();
        foreach (var path in Directory.EnumerateFileSystemEntries(directory))
        {
            string name = Path.GetFileName(path);
            if (!LocalVolumeNames.IsListable(name)) continue;
            if (VolumeFileProbe.TryProbe(path) is { } probed) volumes.Add(probed.ToVolume(name));
        }
        return volumes;
    }

    /// <summary>Probes just one entry; null when it does not exist or a listing would skip it.</summary>
    public static VolumeDefinition? Find(string directory, string name) =>
        LocalVolumeNames.IsListable(name) && VolumeFileProbe.TryProbe(Path.Combine(directory, name)) is { } probed
            ? probed.ToVolume(name)
            : null;
}
