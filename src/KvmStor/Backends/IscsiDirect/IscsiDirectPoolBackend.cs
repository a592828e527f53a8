using KvmStor.Images;
using KvmStor.Model;
using KvmStor.Xml;

namespace KvmStor.Backends.IscsiDirect;

/// <summary>
/// iscsi-direct pools: an iSCSI target reached through libiscsi, with no kernel initiator. Its LUNs are the volumes.
/// kvmstor keeps no process running between commands, so no session is held either: every command that needs the
/// target logs in, does its work and logs out. Start therefore proves the login works (target, initiator IQN, CHAP)
/// and stop has nothing left to log out of. Volumes are the LUNs: they cannot be created, deleted or resized here.
/// </summary>
public sealed class IscsiDirectPoolBackend(IPoolSecrets secrets)
    : Devices.FoundVolumesBackend, IPoolBackend, IPoolChecker, IPoolStarter, IPoolStopper, ISourceFinder
{
    public PoolType Type => PoolType.IscsiDirect;

    /// <summary>As in libvirt: a pool marked active stays active (asking the target here would block every listing).</summary>
    public bool CheckActive(PoolDefinition pool) => true;

    public void Start(PoolDefinition pool)
    {
        using var session = IscsiSession.Open(LoginFor(pool));
    }

    /// <summary>Nothing to do: no session outlives the command that opened it.</summary>
    public void Stop(PoolDefinition pool) { }

    public PoolRefreshResult Refresh(PoolDefinition pool) => RefreshOf(ListVolumes(pool));

    /// <summary>SendTargets discovery on the spec's one host, with its initiator IQN: one &lt;source&gt; per target.</summary>
    public IReadOnlyList<PoolSource> FindSources(string? sourceSpecXml)
    {
        if (sourceSpecXml is null) throw StorageException.InvalidArg("hostname must be specified for iscsi sources");
        var spec = SourcesXml.ParseSourceSpec(sourceSpecXml, PoolType.IscsiDirect);
        if (spec.Hosts.Count != 1) throw StorageException.Internal("Expected exactly 1 host for the storage pool");
        string initiator = spec.InitiatorIqn ?? throw StorageException.Unsupported("missing initiator IQN");
        var portal = IscsiPortal.From(spec.Hosts[0]);
        IReadOnlyList<string> targets;
        using (var session = IscsiSession.Open(new IscsiLogin(portal, null, initiator)))
            targets = session.DiscoverTargets();
        return targets.Select(t => new PoolSource
        {
            Hosts = [spec.Hosts[0]],
            Devices = [new PoolSourceDevice { Path = t }],
            InitiatorIqn = initiator,
        }).ToList();
    }

    public override IReadOnlyList<VolumeDefinition> ListVolumes(PoolDefinition pool)
    {
        var login = LoginFor(pool);
        using var session = IscsiSession.Open(login);
        return IscsiLuns.DescribeAll(session).Select(l => l.ToVolume(login.Portal, login.TargetIqn!)).ToList();
    }

    public override VolumeDefinition? FindVolume(PoolDefinition pool, string name) =>
        IscsiPortal.LunOf(name) is null ? null : ListVolumes(pool).FirstOrDefault(v => v.Name == name);

    public override VolumeDefinition? FindVolumeByKeyOrPath(PoolDefinition pool, string keyOrPath) =>
        keyOrPath.StartsWith("ip-", StringComparison.Ordinal)
            ? ListVolumes(pool).FirstOrDefault(v => v.Key == keyOrPath || v.Target.Path == keyOrPath) : null;

    public override void Upload(PoolDefinition pool, VolumeDefinition volume, Stream source, TransferRange range, ByteProgress? progress, CancellationToken cancel) =>
        WithDisk(pool, volume, (_, io) =>
        {
            using var lanes = LanesFor(pool, io, range);
            IscsiLunTransfer.Upload(lanes, source, range.Offset, range.Length, range.Sparse, progress, cancel);
        });

    public override void Download(PoolDefinition pool, VolumeDefinition volume, Stream destination, TransferRange range, ByteProgress? progress, CancellationToken cancel) =>
        WithDisk(pool, volume, (session, io) =>
        {
            using var lanes = LanesFor(pool, io, range);
            IscsiLunTransfer.Download(lanes, new IscsiLbaMap(session, io), destination, range.Offset, range.Length, range.Sparse, progress, cancel);
        });

    public override void Wipe(PoolDefinition pool, VolumeDefinition volume, WipeAlgorithm algorithm, ByteProgress? progress, CancellationToken cancel)
    {
        if (algorithm != WipeAlgorithm.Zero)
            throw StorageException.InvalidArg($"unsupported algorithm {(int)algorithm}");
        WithDisk(pool, volume, (_, io) => IscsiLunTransfer.Wipe(io, progress, cancel));
    }

    /// <summary>Logs in, checks the volume's LUN is a disk, and hands its block I/O to <paramref name="work"/>.</summary>
    private void WithDisk(PoolDefinition pool, VolumeDefinition volume, Action<IscsiSession, IscsiLunIo> work)
    {
        int lun = IscsiPortal.LunOf(volume.Name)
            ?? throw new StorageException(ErrorCode.NoStorageVolume, $"no storage vol with matching name '{volume.Name}'");
        using var session = IscsiSession.Open(LoginFor(pool));
        var info = IscsiLuns.Describe(session, lun);
        if (info.Capacity is not { } capacity)
            throw StorageException.Invalid($"volume '{volume.Name}' is not a disk (SCSI device type {info.DeviceType}) and holds no data");
        work(session, new IscsiLunIo(session, lun, capacity));
    }

    /// <summary>Extra sessions to the same LUN for a transfer large enough to gain from commands in flight on each.</summary>
    private IscsiLunLanes LanesFor(PoolDefinition pool, IscsiLunIo io, TransferRange range)
    {
        ulong rest = io.Capacity.Bytes - Math.Min(range.Offset, io.Capacity.Bytes);
        ulong bytes = range.Length == 0 ? rest : Math.Min(range.Length, rest);
        int count = bytes >= IscsiLunLanes.ParallelFromBytes ? IscsiLunLanes.DefaultCount : 1;
        return IscsiLunLanes.Open(io, () => IscsiSession.Open(LoginFor(pool)), count);
    }

    /// <summary>The login a pool describes; a CHAP password is fetched from the secret store only here.</summary>
    private IscsiLogin LoginFor(PoolDefinition pool)
    {
        var source = pool.Source;
        var portal = IscsiPortal.Of(source);
        string target = source.Devices.FirstOrDefault()?.Path
            ?? throw StorageException.Xml("missing storage pool source device name");
        string initiator = source.InitiatorIqn ?? throw StorageException.Unsupported("missing initiator IQN");
        if (source.Auth is not { } auth) return new IscsiLogin(portal, target, initiator);
        if (auth.Type != AuthType.Chap)
            throw StorageException.Unsupported($"iscsi-direct pools support only CHAP authentication");
        return new IscsiLogin(portal, target, initiator, auth.Username, secrets.ValueFor(pool, auth));
    }
}
