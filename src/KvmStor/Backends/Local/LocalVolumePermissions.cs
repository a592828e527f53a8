using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.Backends.Local;

/// <summary>
/// Applies a new volume's &lt;permissions&gt; — mode (libvirt's default 0600), then owner and group when given — on a
/// descriptor of what was built, so no name lookup can carry them to another file.
/// </summary>
public static class LocalVolumePermissions
{
    /// <summary>VIR_STORAGE_DEFAULT_VOL_PERM_MODE, used for files and directories alike.</summary>
    public const int DefaultMode = 0b110_000_000; // 0600

    public static void Apply(VolumeBuildArea area, Permissions? permissions)
    {
        using var built = area.OpenBuilt();
        try
        {
            FileSystem.SetMode(built, permissions?.Mode ?? DefaultMode, area.BuildPath);
            if (permissions?.Owner is not null || permissions?.Group is not null)
            {
                var current = FileSystem.Stat(built);
                uint owner = (uint)(permissions.Owner ?? -1), group = (uint)(permissions.Group ?? -1);
                if ((permissions.Owner is { } o && o != current.Owner) || (permissions.Group is { } g && g != current.Group))
                    FileSystem.SetOwner(built, owner, group, area.BuildPath);
            }
        }
        catch (FileSystemException e) { throw e.ToStorageException(); }
    }
}
