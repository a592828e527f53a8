using System.Globalization;
using KvmStor.Backends.Fs;
using KvmStor.Backends.Local;
using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.Backends.Vstorage;

/// <summary>
/// The vstorage-mount and umount command lines of a vstorage pool, as libvirt builds them: the target's mode in
/// octal without a leading 0 (default 711), and its owner and group by name (default: whoever runs kvmstor).
/// </summary>
public static class VstorageMountCommand
{
    public const string MountProgram = "vstorage-mount";

    /// <summary>What the mount table shows as the fsname of a mounted cluster.</summary>
    public static string FileSystemName(PoolDefinition pool) => "vstorage://" + Cluster(pool);

    /// <param name="userName">Name of a uid (the C library's, on a host).</param>
    /// <param name="groupName">Name of a gid.</param>
    public static CommandLine Mount(PoolDefinition pool, Func<uint, string> userName, Func<uint, string> groupName,
        uint effectiveUser, uint effectiveGroup)
    {
        var permissions = pool.Target?.Permissions ?? new Permissions();
        string mode = Convert.ToString(permissions.Mode ?? LocalTargetDirectory.DefaultMode, 8);
        string user = userName(permissions.Owner is long owner and >= 0 ? (uint)owner : effectiveUser);
        string group = groupName(permissions.Group is long gid and >= 0 ? (uint)gid : effectiveGroup);
        return new CommandLine(MountProgram,
            "-c", Cluster(pool), LocalTargetDirectory.RequirePath(pool), "-m", mode, "-g", group, "-u", user);
    }

    public static CommandLine Unmount(PoolDefinition pool) => new(MountCommand.UmountProgram, LocalTargetDirectory.RequirePath(pool));

    private static string Cluster(PoolDefinition pool) =>
        pool.Source.Name ?? throw StorageException.Xml("missing source name of vstorage pool");
}
