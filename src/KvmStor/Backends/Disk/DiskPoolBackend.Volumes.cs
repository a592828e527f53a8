using KvmStor.Host;
using KvmStor.Images;
using KvmStor.Model;

namespace KvmStor.Backends.Disk;

// Volumes are partitions: listed live from the device, created with parted mkpart, removed with parted rm.
public sealed partial class DiskPoolBackend
{
    private static readonly TimeSpan NodeWait = TimeSpan.FromSeconds(10);

    public IReadOnlyList<VolumeDefinition> ListVolumes(PoolDefinition pool) =>
        ReadLayout(pool).Partitions.Select(p => ToVolume(pool, p)).ToList();

    public VolumeDefinition? FindVolume(PoolDefinition pool, string name) =>
        ReadLayout(pool, n => n == name).Partitions.Where(p => p.Name == name).Select(p => ToVolume(pool, p)).FirstOrDefault();

    public VolumeDefinition? FindVolumeByKeyOrPath(PoolDefinition pool, string keyOrPath) =>
        ListVolumes(pool).FirstOrDefault(v => v.Key == keyOrPath || v.Target.Path == keyOrPath || "/dev/" + v.Name == keyOrPath);

    public VolumeDefinition CreateVolume(PoolDefinition pool, VolumeDefinition volume, VolumeCreateFlags flags,
        ByteProgress? progress, CancellationToken cancel)
    {
        var created = MakePartition(pool, volume);
        // The volume is what was asked for until a refresh reads its type back (a new partition holds no signature).
        return created with { Target = created.Target with { Format = volume.Target.Format ?? created.Target.Format } };
    }

    public VolumeDefinition CreateVolumeFrom(PoolDefinition pool, VolumeDefinition volume, PoolDefinition sourcePool,
        VolumeDefinition source, VolumeCreateFlags flags, ByteProgress? progress, CancellationToken cancel)
    {
        string sourcePath = source.Target.Path ?? throw StorageException.Internal($"volume '{source.Name}' has no path");
        if (source.Target.Format is { } f && f is not ("raw" or "none" or "linux" or "fat16" or "fat32" or "linux-swap" or "linux-lvm" or "linux-raid"))
            throw StorageException.Unsupported($"cannot copy a '{f}' volume into a partition; convert it to raw first");
        var created = MakePartition(pool, volume);
        try
        {
            using var from = File.OpenHandle(sourcePath, FileMode.Open, FileAccess.Read);
            using var to = File.OpenHandle(created.Target.Path!, FileMode.Open, FileAccess.Write);
            long length = (long)Math.Min(source.Capacity, created.Capacity);
            using var sink = new FileStream(to, FileAccess.Write);
            SparseStreamTransfer.Download(from, 0, length, sink, sparse: false, progress, cancel);
            sink.Flush(flushToDisk: true);
        }
        catch
        {
            // Nothing half-made stays behind.
            try { RemovePartition(pool, created.Name); } catch (StorageException) { }
            throw;
        }
        return created;
    }

    public void DeleteVolume(PoolDefinition pool, VolumeDefinition volume, VolumeDeleteFlags flags)
    {
        var layout = ReadLayout(pool);
        var partition = layout.Partitions.FirstOrDefault(p => p.Name == volume.Name)
            ?? throw new StorageException(ErrorCode.NoStorageVolume, $"no storage vol with matching name '{volume.Name}'");
        // Removing an extended partition removes its logical partitions too: none of them may be in use.
        foreach (var affected in layout.Partitions.Where(p => p == partition
                     || (partition.Kind == PartitionKind.Extended && p.Kind == PartitionKind.Logical)))
            usage.RequireUnused(affected.Path, includePartitions: false);
        RemovePartition(pool, partition.Name);
    }

    public void Upload(PoolDefinition pool, VolumeDefinition volume, Stream source, TransferRange range, ByteProgress? progress, CancellationToken cancel)
    {
        var partition = RequireDataPartition(pool, volume, "upload to");
        usage.RequireUnused(partition.Path, includePartitions: false);
        using var handle = File.OpenHandle(partition.Path, FileMode.Open, FileAccess.Write);
        SparseStreamTransfer.Upload(source, handle, (long)range.Offset, range.Length == 0 ? null : (long)range.Length, range.Sparse, progress, cancel);
        FileSystem.DataSync(handle);
    }

    public void Download(PoolDefinition pool, VolumeDefinition volume, Stream destination, TransferRange range, ByteProgress? progress, CancellationToken cancel)
    {
        var partition = RequireDataPartition(pool, volume, "download from");
        using var handle = File.OpenHandle(partition.Path, FileMode.Open, FileAccess.Read);
        ulong size = FileSystem.BlockDeviceSize(handle);
        ulong offset = Math.Min(range.Offset, size);
        ulong length = range.Length == 0 ? size - offset : Math.Min(range.Length, size - offset);
        SparseStreamTransfer.Download(handle, (long)offset, (long)length, destination, range.Sparse, progress, cancel);
    }

    public void Wipe(PoolDefinition pool, VolumeDefinition volume, WipeAlgorithm algorithm, ByteProgress? progress, CancellationToken cancel)
    {
        var partition = ReadLayout(pool, n => n == volume.Name).Partitions.FirstOrDefault(p => p.Name == volume.Name)
            ?? throw new StorageException(ErrorCode.NoStorageVolume, $"no storage vol with matching name '{volume.Name}'");
        if (partition.Kind == PartitionKind.Extended)
            throw StorageException.NoSupport($"cannot wipe extended partition '{partition.Path}'");
        usage.RequireUnused(partition.Path, includePartitions: false);
        VolumeWiper.Wipe(partition.Path, algorithm, null, progress, cancel);
    }

    /// <summary>Plans the partition (so a wrong name fails before anything changes), makes it and waits for its node.</summary>
    private VolumeDefinition MakePartition(PoolDefinition pool, VolumeDefinition volume)
    {
        // libvirt's rule for pools without a separate build step (disk pools have none).
        if (volume.Capacity == 0) throw StorageException.NoSupport("volume capacity required for this storage pool");
        var source = Device(pool);
        using var tableLock = LockPartitionTable(source.Path);
        // Planning needs the table and its free space, not what the partitions hold: no blkid here.
        var layout = ReadLayout(pool, _ => false);
        DiskGeometry? geometry = layout.IsDos || DiskPartitionPlanner.NeedsWholeCylinders(layout.Label)
            ? DiskGeometry.Parse(runner.RunChecked(PartedCommands.PrintChs(source.Path)).StandardOutput)
            : null;
        var plan = DiskPartitionPlanner.Plan(layout, geometry, volume.Target.Format ?? "none", volume.Capacity, volume.Name, source.PartSeparator);
        runner.RunChecked(PartedCommands.MakePartition(source.Path, plan.PartedType, plan.Start, plan.End));
        if (DiskPartitionTypes.PartedFlag(volume.Target.Format ?? "none") is { } flag && plan.Kind != PartitionKind.Extended)
            runner.RunChecked(PartedCommands.SetFlag(source.Path, plan.Number, flag));

        var made = WaitFor(() => ReadLayout(pool, n => n == plan.Name).Partitions.FirstOrDefault(p => p.Number == plan.Number && DeviceExists(p.Path)));
        if (made is null || made.Name != plan.Name)
        {
            try { runner.RunChecked(PartedCommands.Remove(source.Path, plan.Number)); } catch (StorageException) { }
            throw StorageException.Internal($"partition {plan.Number} of '{source.Path}' did not appear as '{plan.Name}'");
        }
        return ToVolume(pool, made);
    }

    private void RemovePartition(PoolDefinition pool, string name)
    {
        var source = Device(pool);
        using var tableLock = LockPartitionTable(source.Path);
        var partition = ReadLayout(pool, n => n == name).Partitions.FirstOrDefault(p => p.Name == name)
            ?? throw new StorageException(ErrorCode.NoStorageVolume, $"no storage vol with matching name '{name}'");
        runner.RunChecked(PartedCommands.Remove(source.Path, partition.Number));
        WaitFor(() => DeviceExists(partition.Path) ? null : partition);
    }

    /// <summary>
    /// Serialises partition-table changes of one disk between kvmstor processes (two vol-creates must not plan the same
    /// free region): an flock on the whole-disk device node, the convention udev and systemd also honour.
    /// Only real block devices are locked (the lock's open(2) would otherwise create a file).
    /// </summary>
    private static Host.FileLock? LockPartitionTable(string device) =>
        FileSystem.TryStat(device, true, out var status, out _) && status.Kind == FileKind.BlockDevice
            ? Host.FileLock.Exclusive(device)
            : null;

    private DiskPartition RequireDataPartition(PoolDefinition pool, VolumeDefinition volume, string verb)
    {
        var partition = ReadLayout(pool, n => n == volume.Name).Partitions.FirstOrDefault(p => p.Name == volume.Name)
            ?? throw new StorageException(ErrorCode.NoStorageVolume, $"no storage vol with matching name '{volume.Name}'");
        if (partition.Kind == PartitionKind.Extended)
            throw StorageException.NoSupport($"cannot {verb} extended partition '{partition.Path}'");
        return partition;
    }

    /// <summary>Polls until <paramref name="probe"/> answers: the kernel adds and removes partition nodes asynchronously.</summary>
    private static T? WaitFor<T>(Func<T?> probe) where T : class
    {
        var deadline = DateTime.UtcNow + NodeWait;
        while (true)
        {
            var value = probe();
            if (value is not null || DateTime.UtcNow >= deadline) return value;
            Thread.Sleep(20);
        }
    }

    private VolumeDefinition ToVolume(PoolDefinition pool, DiskPartition partition)
    {
        string path = StablePath(pool.TargetPath, partition.Path);
        FileSystemStatus? status = FileSystem.TryStat(partition.Path, true, out var s, out _) ? s : null;
        return new VolumeDefinition
        {
            Type = VolumeType.Block,
            Name = partition.Name,
            Key = path,
            SourceDevices = [new VolumeSourceDevice(Device(pool).Path, [new VolumeExtent(partition.Start, partition.End)])],
            Capacity = partition.Size,
            Allocation = partition.Kind == PartitionKind.Extended ? 0 : partition.Size,
            HasAllocation = true,
            Physical = PhysicalSize(partition.Name),
            Target = new VolumeTarget
            {
                Path = path,
                Format = partition.Format,
                Permissions = status is null ? null : new Permissions { Mode = status.Mode & 0x1FF, Owner = status.Owner, Group = status.Group },
                Timestamps = status is null ? null : new VolumeTimestamps(status.Accessed.ToLibvirtString(),
                    status.Modified.ToLibvirtString(), status.Changed.ToLibvirtString(), "0"),
            },
        };
    }

    /// <summary>The kernel's size of the partition device (an extended partition's device is only its first sectors).</summary>
    private static ulong? PhysicalSize(string name)
    {
        string sysfs = $"/sys/class/block/{name}/size";
        return File.Exists(sysfs) && ulong.TryParse(File.ReadAllText(sysfs).Trim(), out var sectors) ? sectors * 512 : null;
    }

    /// <summary>libvirt's stable path: a link in the target directory (e.g. /dev/disk/by-id) naming the partition, else its /dev path.</summary>
    private static string StablePath(string? targetDir, string devicePath)
    {
        if (targetDir is null || targetDir == "/dev" || !Directory.Exists(targetDir)) return devicePath;
        foreach (var entry in Directory.EnumerateFileSystemEntries(targetDir))
        {
            try
            {
                var resolved = new FileInfo(entry).ResolveLinkTarget(returnFinalTarget: true)?.FullName;
                if (resolved == devicePath) return entry;
            }
            catch (IOException) { }
        }
        return devicePath;
    }
}
