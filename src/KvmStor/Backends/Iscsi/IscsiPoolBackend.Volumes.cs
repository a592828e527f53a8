using KvmStor.Host;
using KvmStor.Images;
using KvmStor.Model;

namespace KvmStor.Backends.Iscsi;

// Volumes are the target's disk LUNs, read live from sysfs; their data is reached through the stable device path.
public sealed partial class IscsiPoolBackend
{
    public const string ScsiIdProgram = "/lib/udev/scsi_id";

    public IReadOnlyList<VolumeDefinition> ListVolumes(PoolDefinition pool) => Scan(pool, LiveSession(pool)).Select(Complete).ToList();

    public VolumeDefinition? FindVolume(PoolDefinition pool, string name) =>
        Scan(pool, LiveSession(pool)).Where(v => v.Name == name).Select(Complete).FirstOrDefault();

    public VolumeDefinition? FindVolumeByKeyOrPath(PoolDefinition pool, string keyOrPath)
    {
        var found = Scan(pool, LiveSession(pool));
        // A path match needs no scsi_id run; keys are read only when no path matches.
        return found.Where(v => v.Target.Path == keyOrPath).Select(Complete).FirstOrDefault()
            ?? found.Select(Complete).FirstOrDefault(v => v.Key == keyOrPath);
    }

    public VolumeDefinition CreateVolume(PoolDefinition pool, VolumeDefinition volume, VolumeCreateFlags flags, ByteProgress? progress, CancellationToken cancel) =>
        throw StorageException.NoSupport("storage pool does not support volume creation");

    public VolumeDefinition CreateVolumeFrom(PoolDefinition pool, VolumeDefinition volume, PoolDefinition sourcePool, VolumeDefinition source,
        VolumeCreateFlags flags, ByteProgress? progress, CancellationToken cancel) =>
        throw StorageException.NoSupport("storage pool does not support volume creation from an existing volume");

    public void DeleteVolume(PoolDefinition pool, VolumeDefinition volume, VolumeDeleteFlags flags) =>
        throw StorageException.NoSupport("storage pool does not support vol deletion");

    public void ResizeVolume(PoolDefinition pool, VolumeDefinition volume, ulong capacity, VolumeResizeFlags flags) =>
        throw StorageException.NoSupport("storage pool does not support changing of volume capacity");

    public void Upload(PoolDefinition pool, VolumeDefinition volume, Stream source, TransferRange range, ByteProgress? progress, CancellationToken cancel)
    {
        var lun = RequireLun(pool, volume);
        if (range.Offset > lun.Capacity) throw StorageException.InvalidArg($"offset {range.Offset} is beyond the end of volume '{lun.Name}'");
        ulong room = lun.Capacity - range.Offset;
        // A LUN cannot grow: the data must fit between the offset and the end.
        ulong length = range.Length == 0 ? room : Math.Min(range.Length, room);
        using var handle = File.OpenHandle(_paths.Map(lun.Target.Path!), FileMode.Open, FileAccess.Write);
        long written = SparseStreamTransfer.Upload(source, handle, (long)range.Offset, (long)length, range.Sparse, progress, cancel);
        FileSystem.DataSync(handle);
        if (range.Length == 0 && (ulong)written == room && source.ReadByte() >= 0)
            throw StorageException.System("cannot write to stream", Errno.ENOSPC);
    }

    public void Download(PoolDefinition pool, VolumeDefinition volume, Stream destination, TransferRange range, ByteProgress? progress, CancellationToken cancel)
    {
        var lun = RequireLun(pool, volume);
        ulong offset = Math.Min(range.Offset, lun.Capacity);
        ulong length = range.Length == 0 ? lun.Capacity - offset : Math.Min(range.Length, lun.Capacity - offset);
        using var handle = File.OpenHandle(_paths.Map(lun.Target.Path!), FileMode.Open, FileAccess.Read);
        SparseStreamTransfer.Download(handle, (long)offset, (long)length, destination, range.Sparse, progress, cancel);
    }

    public void Wipe(PoolDefinition pool, VolumeDefinition volume, WipeAlgorithm algorithm, ByteProgress? progress, CancellationToken cancel)
    {
        var lun = RequireLun(pool, volume);
        VolumeWiper.Wipe(_paths.Map(lun.Target.Path!), algorithm, (long)lun.Capacity, progress, cancel);
    }

    /// <summary>The volume as the target shows it now (not as the caller last saw it).</summary>
    private VolumeDefinition RequireLun(PoolDefinition pool, VolumeDefinition volume) =>
        Scan(pool, LiveSession(pool)).FirstOrDefault(v => v.Name == volume.Name)
        ?? throw new StorageException(ErrorCode.NoStorageVolume, $"no storage vol with matching name '{volume.Name}'");

    private IscsiSession LiveSession(PoolDefinition pool)
    {
        string target = IscsiPortal.Of(pool.Source).Target;
        return IscsiSession.FromSysfs(_paths, target)
            ?? throw StorageException.Internal($"cannot find iscsiadm session: no session for target '{target}'");
    }

    /// <summary>
    /// The volumes of a session without their keys: every disk or CD-ROM LUN that has a stable name in the pool's
    /// target directory (LUNs udev has not named are skipped, as libvirt skips them).
    /// </summary>
    private List<VolumeDefinition> Scan(PoolDefinition pool, IscsiSession session)
    {
        var volumes = new List<VolumeDefinition>();
        foreach (var lun in _scanner.Luns(_scanner.HostNumber(session.Id)))
        {
            if (_stablePaths.Find(pool.TargetPath, lun.DevicePath) is not { } path) continue;
            FileSystemStatus? status = FileSystem.TryStat(_paths.Map(lun.DevicePath), true, out var s, out _) ? s : null;
            volumes.Add(new VolumeDefinition
            {
                Type = VolumeType.Block,
                Name = lun.VolumeName,
                Capacity = lun.Size,
                Allocation = lun.Size,
                HasAllocation = true,
                Physical = lun.Size,
                Target = new VolumeTarget
                {
                    Path = path,
                    Permissions = status is null ? null : new Permissions { Mode = status.Mode & 0x1FF, Owner = status.Owner, Group = status.Group },
                    Timestamps = status is null ? null : new VolumeTimestamps(status.Accessed.ToLibvirtString(),
                        status.Modified.ToLibvirtString(), status.Changed.ToLibvirtString(), "0"),
                },
            });
        }
        return volumes;
    }

    /// <summary>Adds libvirt's key: the SCSI serial scsi_id reports for the stable path, else the path itself.</summary>
    private VolumeDefinition Complete(VolumeDefinition volume)
    {
        string path = volume.Target.Path!;
        string? serial = null;
        if (_runner.Exists(ScsiIdProgram))
        {
            var result = _runner.Run(new CommandLine(ScsiIdProgram, "--replace-whitespace", "--whitelisted", "--device", path));
            if (result.Success) serial = result.StandardOutput.Split('\n')[0];
        }
        return volume with { Key = string.IsNullOrEmpty(serial) ? path : serial };
    }
}
