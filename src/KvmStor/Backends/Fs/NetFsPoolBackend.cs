using KvmStor.Backends.Local;
using KvmStor.Host;
using KvmStor.Images;
using KvmStor.Model;

namespace KvmStor.Backends.Fs;

/// <summary>
/// A network filesystem (NFS, GlusterFS through FUSE, CIFS, or whatever mount(8) detects) mounted on the target
/// directory. Build only makes the directory; source discovery asks showmount and the gluster CLI.
/// Beyond libvirt, nothing here waits on the server without a bound (KVMSTOR_NETWORK_TIMEOUT): a bounded connect
/// before mount, the mount itself, and every look at the mounted directory; transfers fail when they stall.
/// When kvmstor's own thread is the one left waiting in a FUSE request, the mount's FUSE connection is aborted, so
/// that the command can exit (see <see cref="AbortStuckFuseMount"/>).
/// </summary>
/// <param name="networkLimit">The bound on each wait for the server; null reads KVMSTOR_NETWORK_TIMEOUT each time.</param>
public sealed class NetFsPoolBackend(ICommandRunner runner, string? mountTablePath = null, TimeSpan? networkLimit = null)
    : MountedPoolBackend(runner, mountTablePath)
{
    private const int ENOTCONN = 107;
    private readonly FuseConnection _fuse = new();

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

    public override IReadOnlyList<PoolSource> FindSources(string? sourceSpecXml) => new NetFsSourceFinder(Runner, networkLimit).Find(sourceSpecXml);

    // A look at the mount table or the mounted directory is a native call that cannot be cancelled: it stays on a
    // bounded thread (NetworkTimeout). Commands get the runner's time limit, which ends them.
    protected override T WaitOnServer<T>(string what, Func<T> step) => NetworkTimeout.Run(what, step, networkLimit);

    protected override CommandLine OnServer(CommandLine command, string what) => command.Within(CommandTimeLimit.Network(what, networkLimit));

    protected override void BeforeMount(PoolDefinition pool)
    {
        var host = pool.Source.Hosts[0];
        ServerReachability.EnsureAnswers(host.Name, host.Port ?? ServerReachability.DefaultPort(pool.Source.Format), networkLimit);
    }

    /// <summary>libvirt's umount, unless the mount does not answer now: then a lazy detach that cannot hang.</summary>
    protected override CommandLine UnmountCommand(PoolDefinition pool)
    {
        string target = LocalTargetDirectory.RequirePath(pool);
        try { MountResponsiveness.Ensure(target, $"unmount of {MountCommand.PoolSource(pool)}", networkLimit, fresh: true); }
        catch (StorageException e) when (e.Code == ErrorCode.OperationTimeout) { return MountCommand.DetachUnresponsive(pool); }
        // A mount whose FUSE connection was aborted answers at once, but only ENOTCONN: detach it the same way.
        if (!FileSystem.TryStat(target, followLinks: true, out _, out int errno) && errno == ENOTCONN) return MountCommand.DetachUnresponsive(pool);
        return MountCommand.Unmount(pool);
    }

    // The mounted directory: every look at it may wait on the server. A probe from another process first (a thread
    // stuck in the kernel would keep kvmstor from exiting), then the step itself, bounded too.
    private T OnMount<T>(PoolDefinition pool, string what, Func<T> step)
    {
        string described = $"{what} on {MountCommand.PoolSource(pool)}";
        string target = LocalTargetDirectory.RequirePath(pool);
        MountResponsiveness.Ensure(target, described, networkLimit);
        try { return NetworkTimeout.Run(described, step, networkLimit); }
        catch (StorageException e) when (e.Code == ErrorCode.OperationTimeout) { throw AbortStuckFuseMount(target, e); }
    }

    private void OnMount(PoolDefinition pool, string what, Action step) =>
        OnMount(pool, what, () => { step(); return true; });

    public override void Delete(PoolDefinition pool) => OnMount(pool, "pool delete", () => base.Delete(pool));
    public override PoolRefreshResult Refresh(PoolDefinition pool) => OnMount(pool, "refresh", () => base.Refresh(pool));
    public override IReadOnlyList<VolumeDefinition> ListVolumes(PoolDefinition pool) => OnMount(pool, "volume listing", () => base.ListVolumes(pool));
    public override VolumeDefinition? FindVolume(PoolDefinition pool, string name) => OnMount(pool, "volume lookup", () => base.FindVolume(pool, name));

    public override VolumeDefinition? FindVolumeByKeyOrPath(PoolDefinition pool, string keyOrPath) =>
        OnMount(pool, "volume lookup", () => base.FindVolumeByKeyOrPath(pool, keyOrPath));

    public override void DeleteVolume(PoolDefinition pool, VolumeDefinition volume, VolumeDeleteFlags flags) =>
        OnMount(pool, "volume delete", () => base.DeleteVolume(pool, volume, flags));

    public override void ResizeVolume(PoolDefinition pool, VolumeDefinition volume, ulong capacity, VolumeResizeFlags flags) =>
        OnMount(pool, "volume resize", () => base.ResizeVolume(pool, volume, capacity, flags));

    // Data transfers may take long: they are bounded by their progress instead.
    public override VolumeDefinition CreateVolume(PoolDefinition pool, VolumeDefinition volume, VolumeCreateFlags flags, ByteProgress? progress, CancellationToken cancel)
    {
        VolumeDefinition? created = null;
        Transfer(pool, "volume creation", progress, cancel, (_, p, c) => created = base.CreateVolume(pool, volume, flags, p, c));
        return created!;
    }

    public override VolumeDefinition CreateVolumeFrom(PoolDefinition pool, VolumeDefinition volume, PoolDefinition sourcePool, VolumeDefinition source,
        VolumeCreateFlags flags, ByteProgress? progress, CancellationToken cancel)
    {
        VolumeDefinition? created = null;
        Transfer(pool, "volume copy", progress, cancel, (_, p, c) => created = base.CreateVolumeFrom(pool, volume, sourcePool, source, flags, p, c));
        return created!;
    }

    public override void Upload(PoolDefinition pool, VolumeDefinition volume, Stream source, TransferRange range, ByteProgress? progress, CancellationToken cancel) =>
        Transfer(pool, "upload", progress, cancel, (w, p, c) => base.Upload(pool, volume, w.ExcludeWaitsOn(source), range, p, c));

    public override void Download(PoolDefinition pool, VolumeDefinition volume, Stream destination, TransferRange range, ByteProgress? progress, CancellationToken cancel) =>
        Transfer(pool, "download", progress, cancel, (_, p, c) => base.Download(pool, volume, destination, range, p, c));

    public override void Wipe(PoolDefinition pool, VolumeDefinition volume, WipeAlgorithm algorithm, ByteProgress? progress, CancellationToken cancel) =>
        Transfer(pool, "wipe", progress, cancel, (_, p, c) => base.Wipe(pool, volume, algorithm, p, c));

    private void Transfer(PoolDefinition pool, string what, ByteProgress? progress, CancellationToken cancel,
        Action<NetworkTransferWatchdog, ByteProgress, CancellationToken> transfer)
    {
        string described = $"{what} on {MountCommand.PoolSource(pool)}";
        string target = LocalTargetDirectory.RequirePath(pool);
        MountResponsiveness.Ensure(target, described, networkLimit);
        try { NetworkTransferWatchdog.Run(described, progress, cancel, transfer, networkLimit); }
        catch (StorageException e) when (e.Code == ErrorCode.OperationTimeout) { throw AbortStuckFuseMount(target, e); }
    }

    /// <summary>
    /// Called once a bounded step on the mount passed its bound while kvmstor's own thread still waits in the kernel
    /// (the probe from a child process answered, so only the step itself is stuck). A request already handed to a
    /// FUSE daemon is waited for uninterruptibly: the error would be printed, but the process could not exit until
    /// the server answers or GlusterFS gives up (ping-timeout, 42 s by default). So the mount's FUSE connection is
    /// aborted and the stuck request fails at once.
    /// Why abort even though only this command is stuck: by then the server has not answered for the whole bound,
    /// so every other request on the mount (a guest's disk I/O on a netfs pool included) waits as well; an abort
    /// turns those waits into errors instead of more waiting. The price is that the mount stays dead (ENOTCONN)
    /// when the server comes back, until the pool is stopped (lazy unmount) and started again, as after a failed
    /// refresh. A native gluster pool's mount is kvmstor's private one (guests reach its volumes through gfapi),
    /// so nothing else loses it there. Only FUSE mounts can be aborted; NFS or CIFS pools keep the old behaviour.
    /// </summary>
    private StorageException AbortStuckFuseMount(string mountPoint, StorageException timeout)
    {
        if (!_fuse.TryAbort(mountPoint)) return timeout;
        return new StorageException(ErrorCode.OperationTimeout, $"{timeout.Message}; the FUSE connection of {mountPoint} was aborted", timeout);
    }
}
