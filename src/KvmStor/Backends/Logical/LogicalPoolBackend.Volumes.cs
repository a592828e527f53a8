using KvmStor.Host;
using KvmStor.Images;
using KvmStor.Model;

namespace KvmStor.Backends.Logical;

// Volumes: LVs listed live from lvs; created with libvirt's lvcreate forms, or thin inside an LVM thin pool.
public sealed partial class LogicalPoolBackend
{
    /// <summary>libvirt's mode for a new LV's device node when the XML gives none.</summary>
    private const int DefaultVolumeMode = 0b110_000_000; // 0600

    public IReadOnlyList<VolumeDefinition> ListVolumes(PoolDefinition pool) => LoadVolumes(pool).Select(v => v.Definition).ToList();

    public VolumeDefinition? FindVolume(PoolDefinition pool, string name) => FindLogicalVolume(pool, name)?.Definition;

    public VolumeDefinition? FindVolumeByKeyOrPath(PoolDefinition pool, string keyOrPath) =>
        LoadVolumes(pool).FirstOrDefault(v => v.Definition.Key == keyOrPath || v.Definition.Target.Path == keyOrPath)?.Definition;

    /// <summary>
    /// Thick (allocation = capacity), sparse (a --virtualsize snapshot), a snapshot of a backing LV, or — when the
    /// backing store names an LVM thin pool of this VG — a thin volume allocated from that thin pool. A volume whose
    /// device cannot be given its owner and mode is removed again.
    /// </summary>
    public VolumeDefinition CreateVolume(PoolDefinition pool, VolumeDefinition volume, VolumeCreateFlags flags,
        ByteProgress? progress, CancellationToken cancel)
    {
        RequireNoEncryption(volume);
        string vg = VolumeGroup(pool);
        string? backing = volume.BackingStore?.Path;
        string? thinPool = backing is null ? null : ThinPoolNamed(pool, backing);
        ulong allocation = volume.HasAllocation ? volume.Allocation : volume.Capacity;

        var command = thinPool is not null
            ? LvmCommands.LvCreateThin(vg, thinPool, volume.Name, volume.Capacity)
            : LvmCommands.LvCreate(vg, volume.Name, volume.Capacity, allocation, backing);
        _lvm.Run(command);
        return AfterCreate(pool, volume);
    }

    /// <summary>
    /// A thick LV as large as the new volume — or a thin one when the XML names a thin pool — holding the source's
    /// guest-visible content (raw copy or qemu-img convert). A thin copy skips zero blocks so that it stays thin.
    /// </summary>
    public VolumeDefinition CreateVolumeFrom(PoolDefinition pool, VolumeDefinition volume, PoolDefinition sourcePool,
        VolumeDefinition source, VolumeCreateFlags flags, ByteProgress? progress, CancellationToken cancel)
    {
        if (flags.HasFlag(VolumeCreateFlags.Reflink))
            throw StorageException.Unsupported("reflink is not supported for logical volumes");
        RequireNoEncryption(volume);
        string sourcePath = source.Target.Path ?? throw StorageException.Internal($"volume '{source.Name}' has no path");
        string vg = VolumeGroup(pool);
        string? thinPool = volume.BackingStore?.Path is { } backing ? ThinPoolNamed(pool, backing) : null;
        var plain = volume with { BackingStore = null, Allocation = volume.Capacity, HasAllocation = true };
        _lvm.Run(thinPool is not null
            ? LvmCommands.LvCreateThin(vg, thinPool, plain.Name, plain.Capacity)
            : LvmCommands.LvCreate(vg, plain.Name, plain.Capacity, plain.Capacity, null));
        var created = AfterCreate(pool, plain);
        try
        {
            CopyContent(source, sourcePath, created.Target.Path!, thin: thinPool is not null, progress, cancel);
        }
        catch
        {
            RemoveQuietly(created.Target.Path!);
            throw;
        }
        return created;
    }

    /// <summary>lvremove -f; if the LV is busy, deactivate it and try once more (libvirt's sequence).</summary>
    public void DeleteVolume(PoolDefinition pool, VolumeDefinition volume, VolumeDeleteFlags flags) =>
        RemoveVolume(volume.Target.Path ?? $"{TargetPath(pool)}/{volume.Name}");

    public void Upload(PoolDefinition pool, VolumeDefinition volume, Stream source, TransferRange range,
        ByteProgress? progress, CancellationToken cancel)
    {
        using var device = OpenDevice(volume, FileAccess.ReadWrite);
        SparseStreamTransfer.Upload(source, device, (long)range.Offset, range.Length == 0 ? null : (long)range.Length,
            range.Sparse, progress, cancel);
    }

    public void Download(PoolDefinition pool, VolumeDefinition volume, Stream destination, TransferRange range,
        ByteProgress? progress, CancellationToken cancel)
    {
        using var device = OpenDevice(volume, FileAccess.Read);
        long size = (long)FileSystem.SizeOf(device);
        long offset = (long)range.Offset;
        long length = range.Length == 0 ? Math.Max(0, size - offset) : (long)range.Length;
        SparseStreamTransfer.Download(device, offset, length, destination, range.Sparse, progress, cancel);
    }

    /// <summary>Wipes the LV's device; sparse (snapshot) LVs are refused as libvirt refuses them, since filling one breaks it.</summary>
    public void Wipe(PoolDefinition pool, VolumeDefinition volume, WipeAlgorithm algorithm, ByteProgress? progress, CancellationToken cancel)
    {
        var current = FindLogicalVolume(pool, volume.Name);
        string path = volume.Target.Path ?? $"{TargetPath(pool)}/{volume.Name}";
        if (current?.IsSnapshot == true)
            throw StorageException.NoSupport($"logical volume '{path}' is sparse, volume wipe not supported");
        try
        {
            VolumeWiper.Wipe(path, algorithm, (long)(current?.Definition.Capacity ?? volume.Capacity), progress, cancel);
        }
        catch (FileSystemException e)
        {
            throw e.ToStorageException();
        }
    }

    private IReadOnlyList<LogicalVolume> LoadVolumes(PoolDefinition pool) =>
        LogicalVolumeListing.Build(TargetPath(pool), LoadRows(pool));

    private IReadOnlyList<LvsRow> LoadRows(PoolDefinition pool) =>
        LvsReport.Parse(_lvm.Run(LvmCommands.Lvs(VolumeGroup(pool))).StandardOutput);

    private LogicalVolume? FindLogicalVolume(PoolDefinition pool, string name) =>
        LoadVolumes(pool).FirstOrDefault(v => v.Definition.Name == name);

    /// <summary>
    /// The thin pool LV a backing path names, or null when it names something else (then it is a snapshot origin, as in
    /// libvirt). Accepted spellings: &lt;target&gt;/&lt;lv&gt;, &lt;vg&gt;/&lt;lv&gt; and the bare LV name.
    /// </summary>
    private string? ThinPoolNamed(PoolDefinition pool, string backingPath)
    {
        string vg = VolumeGroup(pool);
        string name = backingPath;
        foreach (var prefix in new[] { TargetPath(pool) + "/", vg + "/", "/dev/mapper/" + vg.Replace("-", "--") + "-" })
            if (backingPath.StartsWith(prefix, StringComparison.Ordinal)) { name = backingPath[prefix.Length..]; break; }
        if (name.Contains('/')) return null;
        return LoadRows(pool).Any(r => r.Name == name && r.IsThinPool) ? name : null;
    }

    /// <summary>Gives the new device its owner and mode (default 0600) and reads the LV back; undoes the LV on failure.</summary>
    private VolumeDefinition AfterCreate(PoolDefinition pool, VolumeDefinition volume)
    {
        string path = $"{TargetPath(pool)}/{volume.Name}";
        try
        {
            // lvcreate waits for udev to make the node; without it (no device-mapper) there is nothing to chmod.
            if (FileSystem.TryStat(path, true, out _, out _))
                ApplyPermissions(path, volume.Target.Permissions);
        }
        catch (StorageException)
        {
            RemoveQuietly(path);
            throw;
        }
        return FindVolume(pool, volume.Name) ?? volume with
        {
            Type = VolumeType.Block,
            Target = volume.Target with { Path = path },
        };
    }

    private static void ApplyPermissions(string path, Permissions? permissions)
    {
        try
        {
            if (Environment.IsPrivilegedProcess && (permissions?.Owner is not null || permissions?.Group is not null))
                FileSystem.SetOwner(path, permissions.Owner is { } o ? (uint)o : uint.MaxValue, permissions.Group is { } g ? (uint)g : uint.MaxValue);
            FileSystem.SetMode(path, permissions?.Mode ?? DefaultVolumeMode);
        }
        catch (FileSystemException e)
        {
            throw e.ToStorageException();
        }
    }

    private void RemoveVolume(string path)
    {
        if (_lvm.TryRun(LvmCommands.LvRemove(path)).Success) return;
        _lvm.Run(LvmCommands.LvChangeDeactivate(path));
        _lvm.Run(LvmCommands.LvRemove(path));
    }

    /// <summary>Undoes a half-made volume; the error that made it half-made is the one worth reporting.</summary>
    private void RemoveQuietly(string path)
    {
        try { RemoveVolume(path); }
        catch (StorageException) { }
    }

    /// <summary>A new thin LV reads as zeros, so holes and zero blocks of the source need not be written (and are not allocated).</summary>
    private void CopyContent(VolumeDefinition source, string sourcePath, string targetPath, bool thin, ByteProgress? progress, CancellationToken cancel)
    {
        string format = source.Target.Format ?? "raw";
        if (format is "raw" or "none")
        {
            try
            {
                using var input = File.OpenHandle(sourcePath, FileMode.Open, FileAccess.Read);
                using var output = File.OpenHandle(targetPath, FileMode.Open, FileAccess.ReadWrite);
                var options = new SparseCopyOptions { TargetIsZeroed = thin, SkipZeroBlocks = thin, Progress = progress };
                SparseCopy.CopyRange(input, 0, output, 0, (long)source.Capacity, options, cancel);
                FileSystem.DataSync(output);
            }
            catch (FileSystemException e)
            {
                throw e.ToStorageException();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw StorageException.System($"cannot copy '{sourcePath}' to '{targetPath}'", Errno.FromException(e));
            }
            return;
        }
        // Image formats need their own reader: qemu-img writes the guest-visible content into the LV.
        // -n: the LV exists already; --target-is-zero (thin only) lets qemu-img skip zeros without writing them.
        var args = new List<string> { "convert", "-f", format, "-O", "raw", "-n" };
        if (thin) args.Add("--target-is-zero");
        _lvm.Runner.RunChecked(new CommandLine("qemu-img", [.. args, sourcePath, targetPath]), cancel);
    }

    private static Microsoft.Win32.SafeHandles.SafeFileHandle OpenDevice(VolumeDefinition volume, FileAccess access)
    {
        string path = volume.Target.Path ?? throw StorageException.Internal($"volume '{volume.Name}' has no path");
        try
        {
            return File.OpenHandle(path, FileMode.Open, access);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw StorageException.System($"cannot open volume '{path}'", Errno.FromException(e));
        }
    }

    /// <summary>libvirt encrypts LVs with LUKS through qemu-img; kvmstor does not yet, and says so instead of making a plain LV.</summary>
    private static void RequireNoEncryption(VolumeDefinition volume)
    {
        if (volume.Target.Encryption is not { } encryption) return;
        if (encryption.Format != "luks")
            throw StorageException.Unsupported("storage pool only supports LUKS encrypted volumes");
        throw StorageException.Unsupported("LUKS encryption of logical volumes is not supported by kvmstor yet");
    }
}
