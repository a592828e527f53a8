using KvmStor.Backends.Fs;
using KvmStor.Host;
using KvmStor.Images;
using KvmStor.Model;
using KvmStor.Xml;

namespace KvmStor.Backends.Gluster;

/// <summary>
/// Native gluster pools (type='gluster': host, volume name, directory; no target) through a private FUSE mount of
/// the pool's directory, kept while the pool runs. libvirt talks libgfapi instead; kvmstor mounts because every
/// volume operation then is the proven file-volume code (native qcow2, sparse transfers, clones, wipes), the kernel
/// caches, and one mechanism bounds every wait for a dead server (a libgfapi call stuck in the library can be
/// abandoned on a thread, but glfs_fini costs 11 s per connection). Volumes are named as libvirt names them:
/// type network (netdir for directories), key "volume/dir/name", path "gluster://host[:port]/volume/dir/name".
/// </summary>
public sealed class GlusterPoolBackend : IPoolBackend, IPoolChecker, IPoolStarter, IPoolStopper, ISourceFinder,
    IVolumeBackend, IVolumeCreator, IVolumeCloner, IVolumeDeleter, IVolumeResizer, IVolumeUploader, IVolumeDownloader, IVolumeWiper,
    IUsesVolumeFormatRecords
{
    private readonly NetFsPoolBackend _mounted;
    private readonly GlusterMounts _mounts;
    private readonly ICommandRunner _runner;
    private readonly TimeSpan? _networkLimit;
    private readonly string _mountTablePath;

    /// <summary>How long a failed start or a stop keeps trying to remove the private mount point.</summary>
    private static readonly TimeSpan MountPointRemovalBound = TimeSpan.FromSeconds(10);

    public GlusterPoolBackend(ICommandRunner runner, string? mountRoot = null, string? mountTablePath = null, TimeSpan? networkLimit = null)
    {
        _runner = runner;
        _mounts = new GlusterMounts(mountRoot);
        _networkLimit = networkLimit;
        _mountTablePath = mountTablePath ?? MountTable.DefaultPath;
        _mounted = new NetFsPoolBackend(_runner, mountTablePath, networkLimit);
    }

    public PoolType Type => PoolType.Gluster;

    /// <summary>The volumes are files of the private mount, so they keep recorded formats as a netfs pool's do.</summary>
    public IVolumeFormatRecords FormatRecords { set => _mounted.FormatRecords = value; }

    private (GlusterLocation Location, PoolDefinition Mounted) View(PoolDefinition pool)
    {
        var location = GlusterLocation.Of(pool);
        return (location, _mounts.AsNetFs(pool, location));
    }

    public bool CheckActive(PoolDefinition pool) => _mounted.CheckActive(View(pool).Mounted);

    /// <summary>The FUSE client's mount helper; without it the pool type cannot work (every other type still does).</summary>
    public const string MountHelper = "/sbin/mount.glusterfs";

    public void Start(PoolDefinition pool)
    {
        var (location, mounted) = View(pool);
        if (!_runner.Exists(MountHelper))
            throw new StorageException(ErrorCode.OperationUnsupported,
                $"gluster pools need the GlusterFS FUSE client: {MountHelper} is missing (install the Debian package glusterfs-client)");
        _mounted.Build(mounted, PoolBuildFlags.None); // the private mount point
        try { _mounted.Start(mounted); }
        catch (StorageException e) when (e.Code != ErrorCode.OperationTimeout)
        {
            RemoveMountPoint(mounted);
            // libvirt's words for a pool it cannot reach, with the mount helper's reason.
            throw new StorageException(ErrorCode.None, $"failed to connect to {location.PoolUri}: {MountFailureReason(e)}", e);
        }
        catch
        {
            RemoveMountPoint(mounted);
            throw;
        }
    }

    public void Stop(PoolDefinition pool)
    {
        var (_, mounted) = View(pool);
        _mounted.Stop(mounted);
        RemoveMountPoint(mounted);
    }

    /// <summary>Capacity from statvfs of the mounted volume; a gluster pool has no target whose permissions could show.</summary>
    public PoolRefreshResult Refresh(PoolDefinition pool) =>
        _mounted.Refresh(View(pool).Mounted) with { TargetPermissions = null };

    /// <summary>The gluster CLI's volume list, as for netfs, but each volume is a source &lt;name&gt;.</summary>
    public IReadOnlyList<PoolSource> FindSources(string? sourceSpecXml)
    {
        if (sourceSpecXml is null) throw StorageException.InvalidArg("hostname must be specified for gluster sources");
        var spec = SourcesXml.ParseSourceSpec(sourceSpecXml, PoolType.Gluster);
        if (spec.Hosts.Count != 1) throw StorageException.Unsupported("Expected exactly 1 host for the storage pool");
        var found = new List<PoolSource>();
        new NetFsSourceFinder(_runner, _networkLimit).FindGlusterVolumes(spec.Hosts[0].Name, found, PoolType.Gluster);
        return found;
    }

    public IReadOnlyList<VolumeDefinition> ListVolumes(PoolDefinition pool)
    {
        var (location, mounted) = View(pool);
        return _mounted.ListVolumes(mounted).Select(v => AsGluster(v, location)).ToList();
    }

    public VolumeDefinition? FindVolume(PoolDefinition pool, string name)
    {
        var (location, mounted) = View(pool);
        return _mounted.FindVolume(mounted, name) is { } found ? AsGluster(found, location) : null;
    }

    public VolumeDefinition? FindVolumeByKeyOrPath(PoolDefinition pool, string keyOrPath) =>
        GlusterLocation.Of(pool).NameFrom(keyOrPath) is { } name ? FindVolume(pool, name) : null;

    public VolumeDefinition CreateVolume(PoolDefinition pool, VolumeDefinition volume, VolumeCreateFlags flags, ByteProgress? progress, CancellationToken cancel)
    {
        var (location, mounted) = View(pool);
        return AsGluster(_mounted.CreateVolume(mounted, volume, flags, progress, cancel), location);
    }

    public VolumeDefinition CreateVolumeFrom(PoolDefinition pool, VolumeDefinition volume, PoolDefinition sourcePool, VolumeDefinition source,
        VolumeCreateFlags flags, ByteProgress? progress, CancellationToken cancel)
    {
        var (location, mounted) = View(pool);
        // A source in a gluster pool is read through that pool's mount.
        var (localSourcePool, localSource) = sourcePool.Type == PoolType.Gluster
            ? (View(sourcePool).Mounted, AsLocal(sourcePool, source))
            : (sourcePool, source);
        return AsGluster(_mounted.CreateVolumeFrom(mounted, volume, localSourcePool, localSource, flags, progress, cancel), location);
    }

    public void DeleteVolume(PoolDefinition pool, VolumeDefinition volume, VolumeDeleteFlags flags) =>
        _mounted.DeleteVolume(View(pool).Mounted, AsLocal(pool, volume), flags);

    public void ResizeVolume(PoolDefinition pool, VolumeDefinition volume, ulong capacity, VolumeResizeFlags flags) =>
        _mounted.ResizeVolume(View(pool).Mounted, AsLocal(pool, volume), capacity, flags);

    public void Upload(PoolDefinition pool, VolumeDefinition volume, Stream source, TransferRange range, ByteProgress? progress, CancellationToken cancel) =>
        _mounted.Upload(View(pool).Mounted, AsLocal(pool, volume), source, range, progress, cancel);

    public void Download(PoolDefinition pool, VolumeDefinition volume, Stream destination, TransferRange range, ByteProgress? progress, CancellationToken cancel) =>
        _mounted.Download(View(pool).Mounted, AsLocal(pool, volume), destination, range, progress, cancel);

    public void Wipe(PoolDefinition pool, VolumeDefinition volume, WipeAlgorithm algorithm, ByteProgress? progress, CancellationToken cancel) =>
        _mounted.Wipe(View(pool).Mounted, AsLocal(pool, volume), algorithm, progress, cancel);

    /// <summary>A file volume of the mount, named as libvirt names gluster volumes.</summary>
    private static VolumeDefinition AsGluster(VolumeDefinition local, GlusterLocation location) => local with
    {
        Type = local.Type == VolumeType.Dir ? VolumeType.NetDir : VolumeType.Network,
        Key = location.KeyOf(local.Name),
        Target = local.Target with { Path = location.PathOf(local.Name) },
    };

    /// <summary>The same volume as the file it is on the pool's mount, for the file-volume code.</summary>
    private VolumeDefinition AsLocal(PoolDefinition pool, VolumeDefinition volume)
    {
        string path = Path.Combine(_mounts.MountPointOf(pool), volume.Name);
        return volume with
        {
            Type = volume.Type == VolumeType.NetDir ? VolumeType.Dir : VolumeType.File,
            Key = path,
            Target = volume.Target with { Path = path },
        };
    }

    private static string MountFailureReason(StorageException e)
    {
        // "Child process (/bin/mount …) unexpected exit status 1: Mount failed. …" → the helper's own words.
        string message = e.Message;
        int status = message.IndexOf(" unexpected exit status ", StringComparison.Ordinal);
        int colon = status < 0 ? -1 : message.IndexOf(": ", status, StringComparison.Ordinal);
        return colon > 0 ? message[(colon + 2)..].Trim() : message;
    }

    /// <summary>
    /// Removes the private mount point. A failed mount.glusterfs can leave a half-made FUSE mount on it for a while (its
    /// client mounts, fails to fetch the volume, tears down; on a busy host later than the helper returns), and the
    /// directory cannot go while something is mounted there. Whatever is mounted on this kvmstor-only directory is
    /// detached and the removal tried again; once the directory is gone, no late mount can land on it. A mount point
    /// that still stays after the bound is harmless: the next start reuses it.
    /// </summary>
    private void RemoveMountPoint(PoolDefinition mounted)
    {
        string path = mounted.TargetPath!;
        var deadline = DateTime.UtcNow + MountPointRemovalBound;
        while (true)
        {
            try
            {
                // No Directory.Exists first: on a dead FUSE mount stat fails (ENOTCONN) and it answers false.
                Directory.Delete(path);
                return;
            }
            catch (DirectoryNotFoundException) { return; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                if (DateTime.UtcNow >= deadline) return;
                if (MountTable.Read(_mountTablePath).Entries.Any(m => m.MountPoint == path))
                    _runner.Run(MountCommand.DetachUnresponsive(mounted)); // lazy: never waits on the server
                Thread.Sleep(50);
            }
        }
    }
}
