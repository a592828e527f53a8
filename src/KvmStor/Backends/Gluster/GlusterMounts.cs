using KvmStor.Model;

namespace KvmStor.Backends.Gluster;

/// <summary>
/// The private FUSE mount points of gluster pools: one directory per pool (by UUID) under a root that only
/// kvmstor uses, /run/kvmstor/gluster by default (KVMSTOR_GLUSTER_MOUNT_ROOT overrides it, e.g. for tests).
/// </summary>
public sealed class GlusterMounts(string? root = null)
{
    public const string EnvironmentVariable = "KVMSTOR_GLUSTER_MOUNT_ROOT";
    public const string DefaultRoot = "/run/kvmstor/gluster";

    public string Root => root ?? (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } configured ? configured : DefaultRoot);

    public string MountPointOf(PoolDefinition pool) => Path.Combine(Root, pool.Uuid.ToString("D"));

    /// <summary>
    /// The pool seen as a netfs pool with format glusterfs on its private mount point: the mount, the bounds on
    /// every wait for the server and the file volumes all come from there.
    /// </summary>
    public PoolDefinition AsNetFs(PoolDefinition pool, GlusterLocation location) => new()
    {
        Type = PoolType.NetFs,
        Name = pool.Name,
        Uuid = pool.Uuid,
        Source = new PoolSource
        {
            Hosts = [new PoolSourceHost(location.Host, location.Port)],
            Dir = "/" + (location.Volume + location.Directory).TrimEnd('/'),
            Format = "glusterfs",
        },
        Target = new PoolTarget { Path = MountPointOf(pool), Permissions = new Permissions { Mode = 0700 } },
    };
}
