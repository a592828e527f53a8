using KvmStor.Images;
using KvmStor.Model;

namespace KvmStor.Backends.Local;

/// <summary>
/// Lists every entry of a pool directory as a volume, as libvirt's refresh does: regular files (symlinks followed)
/// and sub-directories, each probed for its image format; FIFOs, sockets, dangling links, names with control
/// characters and unreadable entries are skipped silently.
/// </summary>
public static class LocalVolumeScanner
{
    public static IReadOnlyList<VolumeDefinition> Scan(string directory)
    {
        var volumes = new List<VolumeDefinition>();
        foreach (var path in Directory.EnumerateFileSystemEntries(directory))
        {
            string name = Path.GetFileName(path);
            if (name.Any(char.IsControl)) continue;
            if (VolumeFileProbe.TryProbe(path) is { } probed) volumes.Add(probed.ToVolume(name));
        }
        return volumes;
    }
}
