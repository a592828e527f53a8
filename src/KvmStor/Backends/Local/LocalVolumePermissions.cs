using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.Backends.Local;

/// <summary>Applies a new volume's &lt;permissions&gt;: mode (libvirt's default 0600), then owner and group when given.</summary>
public static class LocalVolumePermissions
{
    /// <summary>VIR_STORAGE_DEFAULT_VOL_PERM_MODE, used for files and directories alike.</summary>
    public const int DefaultMode = 0b110_000_000; // 0600

    public static void Apply(string path, Permissions? permissions)
    {
        try
        {
            FileSystem.SetMode(path, permissions?.Mode ?? DefaultMode);
            if (permissions?.Owner is not null || permissions?.Group is not null)
            {
                var current = FileSystem.Stat(path);
                uint owner = (uint)(permissions.Owner ?? -1), group = (uint)(permissions.Group ?? -1);
                if ((permissions.Owner is { } o && o != current.Owner) || (permissions.Group is { } g && g != current.Group))
                    FileSystem.SetOwner(path, owner, group);
            }
        }
        catch (FileSystemException e) { throw e.ToStorageException(); }
    }
}
