using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.Backends.Local;

/// <summary>
/// The target directory of a file-based pool (dir, fs, netfs, vstorage): creating it with the configured owner
/// and mode, reading its sizes and permissions, removing it. Shared by every backend whose volumes are files.
/// </summary>
public static class LocalTargetDirectory
{
    /// <summary>libvirt's default mode for a pool directory it creates.</summary>
    public const int DefaultMode = 0b111_001_001; // 0711

    public static string RequirePath(PoolDefinition pool) =>
        pool.TargetPath ?? throw StorageException.Xml("missing storage pool target path");

    /// <summary>
    /// Creates the parents and the directory. The mode is applied when configured, or 0711 when the directory is
    /// new; owner and group when configured. An existing directory is fine (building twice succeeds).
    /// </summary>
    public static void Build(PoolDefinition pool)
    {
        string path = RequirePath(pool);
        if (!Path.IsPathRooted(path)) throw StorageException.InvalidArg($"path '{path}' is not absolute");
        var perms = pool.Target!.Permissions;
        bool existed = Directory.Exists(path);
        string? parent = Path.GetDirectoryName(path);
        try
        {
            if (parent is not null) Directory.CreateDirectory(parent);
            if (!existed) Directory.CreateDirectory(path);
            int? mode = perms.Mode ?? (existed ? null : DefaultMode);
            if (mode is { } m) File.SetUnixFileMode(path, (UnixFileMode)m);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw StorageException.System($"cannot create path '{path}'", Errno.FromException(e));
        }
        if (perms.Owner is not null || perms.Group is not null)
        {
            try { FileSystem.SetOwner(path, (uint)(perms.Owner ?? -1), (uint)(perms.Group ?? -1)); }
            catch (FileSystemException e) { throw e.ToStorageException(); }
        }
        // <features><cow state='…'/>: on btrfs the directory's NOCOW attribute is inherited by every volume made in it.
        if (pool.Cow is bool cow)
        {
            try { CopyOnWrite.Set(path, cow); }
            catch (FileSystemException e) { throw e.ToStorageException(); }
        }
    }

    /// <summary>Sizes from statvfs and the directory's actual owner, group and mode, as a refresh reports them.</summary>
    public static PoolRefreshResult ReadState(PoolDefinition pool)
    {
        string path = RequirePath(pool);
        if (!FileSystem.TryStat(path, followLinks: true, out var st, out int errno) || st.Kind != FileKind.Directory)
            throw StorageException.System($"cannot open directory '{path}'", errno == 0 ? Errno.ENOTDIR : errno);
        FileSystemUsage usage;
        try { usage = FileSystem.StatVfs(path); }
        catch (FileSystemException e) { throw e.ToStorageException(); }
        // libvirt reports root's free blocks (f_bfree) as available, not f_bavail.
        return new PoolRefreshResult
        {
            Capacity = usage.TotalBytes,
            Allocation = usage.TotalBytes - usage.FreeBytes,
            Available = usage.FreeBytes,
            TargetPermissions = new Permissions { Mode = st.Mode & 0x1FF, Owner = st.Owner, Group = st.Group },
        };
    }

    /// <summary>rmdir of the target; libvirt refuses a directory that still holds anything.</summary>
    public static void Delete(PoolDefinition pool)
    {
        string path = RequirePath(pool);
        try
        {
            Directory.Delete(path, recursive: false);
        }
        catch (DirectoryNotFoundException)
        {
            throw StorageException.System($"failed to remove pool '{path}'", Errno.ENOENT);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            int errno = Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any() ? Errno.ENOTEMPTY : Errno.FromException(e);
            throw StorageException.System($"failed to remove pool '{path}'", errno);
        }
    }
}
