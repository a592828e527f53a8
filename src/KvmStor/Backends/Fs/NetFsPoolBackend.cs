using KvmStor.Backends.Local;
using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.Backends.Fs;

/// <summary>
/// A network filesystem (NFS, GlusterFS through FUSE, CIFS, or whatever mount(8) detects) mounted on the target
/// directory. Build only makes the directory; source discovery asks showmount and the gluster CLI.
/// </summary>
public sealed class NetFsPoolBackend(ICommandRunner? runner = null, string? mountTablePath = null)
    : MountedPoolBackend(runner, mountTablePath)
{
    public override PoolType Type => PoolType.NetFs;

    protected override void Validate(PoolDefinition pool)
    {
        if (pool.Source.Hosts.Count != 1) throw StorageException.Unsupported("expected exactly 1 host for the storage pool");
        if (string.IsNullOrEmpty(pool.Source.Hosts[0].Name)) throw StorageException.Internal("missing source host");
        if (pool.Source.Dir is null) throw StorageException.Internal("missing source path");
    }

    public override void Build(PoolDefinition pool, PoolBuildFlags flags)
    {
        LocalTargetDirectory.Build(pool);
        // libvirt gives a netfs target 0711 even when the directory already existed (a dir or fs pool keeps its mode).
        if (pool.Target!.Permissions.Mode is null)
        {
            string path = LocalTargetDirectory.RequirePath(pool);
            try { File.SetUnixFileMode(path, (UnixFileMode)LocalTargetDirectory.DefaultMode); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw StorageException.System($"cannot create path '{path}'", Errno.FromException(e));
            }
        }
        // --overwrite / --no-overwrite ask for mkfs, which needs a device a netfs pool never has.
        if ((flags & (PoolBuildFlags.Overwrite | PoolBuildFlags.NoOverwrite)) != 0) RequireDeviceToFormat(pool);
    }

    public override string FindSources(string? sourceSpecXml) => new NetFsSourceFinder(Runner).Find(sourceSpecXml);
}
