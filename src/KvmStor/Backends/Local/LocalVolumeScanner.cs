using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.Backends.Local;

/// <summary>
/// Lists every entry of a pool directory as a volume, as libvirt's refresh does: regular files (symlinks followed)
/// and sub-directories; FIFOs, sockets, dangling links, names with control characters and unreadable entries are
/// skipped silently. Format probing of image headers refines the raw/dir default.
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
            if (!Posix.TryStat(path, out var st, out _)) continue;
            uint kind = st.Mode & 0xF000;
            bool isDir = kind == 0x4000;
            if (!isDir && kind != 0x8000) continue;
            volumes.Add(new VolumeDefinition
            {
                Type = isDir ? VolumeType.Dir : VolumeType.File,
                Name = name,
                Key = path,
                Capacity = isDir ? 0 : (ulong)st.Size,
                Allocation = isDir ? 0 : (ulong)st.Blocks * 512,
                HasAllocation = true,
                Target = new VolumeTarget
                {
                    Path = path,
                    Format = isDir ? "dir" : "raw",
                    Permissions = new Permissions { Mode = (int)(st.Mode & 0xFFF), Owner = st.Uid, Group = st.Gid },
                },
            });
        }
        return volumes;
    }
}
