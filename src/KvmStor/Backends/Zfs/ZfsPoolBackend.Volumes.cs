using KvmStor.Backends.Logical;
using KvmStor.Host;
using KvmStor.Images;
using KvmStor.Model;
using Microsoft.Win32.SafeHandles;

namespace KvmStor.Backends.Zfs;

// Volumes: zvols listed live from zfs list; created sparse or reserved, resized through volsize; data through the device node.
public sealed partial class ZfsPoolBackend
{
    /// <summary>The zvols directly inside the pool's dataset (zvols of nested datasets belong to other pools).</summary>
    public IReadOnlyList<VolumeDefinition> ListVolumes(PoolDefinition pool)
    {
        string dataset = Dataset(pool);
        string prefix = dataset + "/";
        return ZfsOutput.ParseVolumes(_zfs.Run(ZfsCommands.ListVolumes(dataset)).StandardOutput)
            .Where(r => r.Dataset.StartsWith(prefix, StringComparison.Ordinal) && !r.Dataset.AsSpan(prefix.Length).Contains('/'))
            .Select(r => ToVolume(pool, r.Dataset[prefix.Length..], r))
            .ToList();
    }

    public VolumeDefinition? FindVolume(PoolDefinition pool, string name) => ListVolumes(pool).FirstOrDefault(v => v.Name == name);

    /// <summary>Keys and paths are /dev/zvol/&lt;name&gt;/&lt;vol&gt;: anything else is answered without running zfs.</summary>
    public VolumeDefinition? FindVolumeByKeyOrPath(PoolDefinition pool, string keyOrPath)
    {
        string prefix = TargetPath(pool) + "/";
        if (!keyOrPath.StartsWith(prefix, StringComparison.Ordinal) || keyOrPath.AsSpan(prefix.Length).Contains('/')) return null;
        return FindVolume(pool, keyOrPath[prefix.Length..]);
    }

    /// <summary>
    /// zfs create -V: sparse (-s) with a refreservation of the asked allocation when it differs from the capacity,
    /// and volmode=dev where this zfs knows the property (libvirt's probe: "zfs get" lists it in its usage).
    /// </summary>
    public VolumeDefinition CreateVolume(PoolDefinition pool, VolumeDefinition volume, VolumeCreateFlags flags,
        ByteProgress? progress, CancellationToken cancel)
    {
        string dataset = Dataset(pool);
        ZfsNames.RequireValidVolume(volume.Name);
        if (volume.Target.Encryption is not null)
            throw StorageException.Unsupported("storage pool does not support encrypted volumes");
        if (volume.BackingStore is not null)
            throw StorageException.Unsupported("zvols cannot have a backing store");
        ulong allocation = volume.HasAllocation ? volume.Allocation : volume.Capacity;
        _zfs.Run(ZfsCommands.CreateVolume(dataset, volume.Name, volume.Capacity, allocation, VolmodeSupported()));
        return FindVolume(pool, volume.Name) ?? ToVolume(pool, volume.Name, new ZfsVolumeRow($"{dataset}/{volume.Name}", volume.Capacity, allocation));
    }

    /// <summary>
    /// Beyond libvirt (whose zfs backend cannot clone): a new zvol, thick or sparse as the XML asks, holding the source's
    /// guest-visible content; removed again when the copy fails.
    /// </summary>
    public VolumeDefinition CreateVolumeFrom(PoolDefinition pool, VolumeDefinition volume, PoolDefinition sourcePool,
        VolumeDefinition source, VolumeCreateFlags flags, ByteProgress? progress, CancellationToken cancel)
    {
        if (flags.HasFlag(VolumeCreateFlags.Reflink))
            throw StorageException.Unsupported("reflink is not supported for zvols");
        string sourcePath = source.Target.Path ?? throw StorageException.Internal($"volume '{source.Name}' has no path");
        var created = CreateVolume(pool, volume with { BackingStore = null }, VolumeCreateFlags.None, progress, cancel);
        try
        {
            ZvolContentCopy.Copy(_zfs.Runner, _devices.Locate(sourcePath), source.Target.Format, (long)source.Capacity,
                DevicePath(pool, created), progress, cancel);
        }
        catch
        {
            try { _zfs.Run(ZfsCommands.DestroyVolume(Dataset(pool), volume.Name)); }
            catch (StorageException) { } // the copy's error is the one worth reporting
            throw;
        }
        return created;
    }

    public void DeleteVolume(PoolDefinition pool, VolumeDefinition volume, VolumeDeleteFlags flags)
    {
        ZfsNames.RequireValidVolume(volume.Name);
        _zfs.Run(ZfsCommands.DestroyVolume(Dataset(pool), volume.Name));
    }

    /// <summary>
    /// Beyond libvirt (whose zfs backend cannot resize): volsize, rounded up to the zvol's block size because zfs set
    /// refuses any other size.
    /// </summary>
    public void ResizeVolume(PoolDefinition pool, VolumeDefinition volume, ulong capacity, VolumeResizeFlags flags)
    {
        if (flags.HasFlag(VolumeResizeFlags.Allocate))
            throw StorageException.Unsupported("preallocation of a resized zvol is not supported");
        string dataset = Dataset(pool);
        ZfsNames.RequireValidVolume(volume.Name);
        ulong blockSize = ZfsOutput.ParseSingleNumber(
            _zfs.Run(ZfsCommands.VolumeBlockSize(dataset, volume.Name)).StandardOutput, "volblocksize");
        ulong rounded = blockSize == 0 || capacity % blockSize == 0 ? capacity : (capacity / blockSize + 1) * blockSize;
        _zfs.Run(ZfsCommands.SetVolumeSize(dataset, volume.Name, rounded));
    }

    public void Upload(PoolDefinition pool, VolumeDefinition volume, Stream source, TransferRange range,
        ByteProgress? progress, CancellationToken cancel)
    {
        using var device = OpenDevice(pool, volume, FileAccess.ReadWrite);
        SparseStreamTransfer.Upload(source, device, (long)range.Offset, range.Length == 0 ? null : (long)range.Length,
            range.Sparse, progress, cancel);
    }

    public void Download(PoolDefinition pool, VolumeDefinition volume, Stream destination, TransferRange range,
        ByteProgress? progress, CancellationToken cancel)
    {
        using var device = OpenDevice(pool, volume, FileAccess.Read);
        long size = (long)FileSystem.SizeOf(device);
        long offset = (long)range.Offset;
        long length = range.Length == 0 ? Math.Max(0, size - offset) : (long)range.Length;
        SparseStreamTransfer.Download(device, offset, length, destination, range.Sparse, progress, cancel);
    }

    public void Wipe(PoolDefinition pool, VolumeDefinition volume, WipeAlgorithm algorithm, ByteProgress? progress, CancellationToken cancel)
    {
        try
        {
            VolumeWiper.Wipe(DevicePath(pool, volume), algorithm, (long)volume.Capacity, progress, cancel);
        }
        catch (FileSystemException e)
        {
            throw e.ToStorageException();
        }
    }

    /// <summary>
    /// key = path = /dev/zvol/&lt;dataset&gt;/&lt;vol&gt;; the allocation is the reservation (a sparse zvol's promise), never
    /// more than the size (a thick zvol reserves a little extra for metadata).
    /// </summary>
    private static VolumeDefinition ToVolume(PoolDefinition pool, string name, ZfsVolumeRow row)
    {
        string path = $"{TargetPath(pool)}/{name}";
        return new VolumeDefinition
        {
            Type = VolumeType.Block,
            Name = name,
            Key = path,
            Capacity = row.VolumeSize,
            Allocation = Math.Min(row.Reservation, row.VolumeSize),
            HasAllocation = true,
            Target = new VolumeTarget { Path = path },
        };
    }

    private bool VolmodeSupported()
    {
        if (_volmodeSupported is { } known) return known;
        var usage = _zfs.TryRun(ZfsCommands.PropertyUsage());
        // Exit status 2 is the usage message; anything else tells nothing, so the option is left out. The property
        // table has one row per property, its name first (zfs indents rows with a tab).
        bool listed = (usage.StandardError + "\n" + usage.StandardOutput).Split('\n')
            .Any(line => line.TrimStart().StartsWith("volmode ", StringComparison.Ordinal));
        return (_volmodeSupported = usage.ExitCode == 2 && listed).Value;
    }

    private string DevicePath(PoolDefinition pool, VolumeDefinition volume) =>
        _devices.Locate(volume.Target.Path ?? $"{TargetPath(pool)}/{volume.Name}");

    private SafeFileHandle OpenDevice(PoolDefinition pool, VolumeDefinition volume, FileAccess access)
    {
        string path = DevicePath(pool, volume);
        try
        {
            return File.OpenHandle(path, FileMode.Open, access);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw StorageException.System($"cannot open volume '{path}'", Errno.FromException(e));
        }
    }
}
