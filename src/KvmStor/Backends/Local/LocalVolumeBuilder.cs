using KvmStor.Host;
using KvmStor.Images;
using KvmStor.Images.Qcow2;
using KvmStor.Model;

namespace KvmStor.Backends.Local;

/// <summary>
/// Builds a new, empty volume file (vol-create) in its private build area: raw and iso by ftruncate + fallocate,
/// directories by mkdir, qcow2 natively, every other format through qemu-img.
/// </summary>
public sealed class LocalVolumeBuilder(QemuImgTool qemuImg)
{
    /// <summary>qcow2 v3: kvmstor's default where libvirt asks qemu-img for v2 ("0.10").</summary>
    public const string DefaultQcow2Compat = "1.1";

    public void Build(PoolDefinition pool, VolumeDefinition volume, VolumeBuildArea area, VolumeCreateFlags flags, ByteProgress? progress, CancellationToken cancel)
    {
        string path = area.BuildPath;
        string format = volume.Target.Format ?? "raw";
        if (volume.Target.Encryption is not null)
            throw StorageException.Unsupported("storage pool does not support encrypted volumes");
        switch (format)
        {
            case "raw" or "iso": BuildRaw(volume, area, flags, reserve: format == "raw"); break;
            case "dir": BuildDirectory(volume, path, flags); break;
            case "qcow2": BuildQcow2(pool, volume, path, flags); break;
            case "ploop": throw StorageException.Unsupported("ploop volumes are not supported");
            default: BuildWithQemuImg(pool, volume, path, flags, cancel); break;
        }
        cancel.ThrowIfCancellationRequested();
        LocalVolumePermissions.Apply(area, volume.Target.Permissions);
        progress?.Invoke((long)volume.Capacity, (long)volume.Capacity); // building is one step: report it done
    }

    /// <param name="reserve">fallocate the allocation (raw); libvirt makes iso volumes with qemu-img, which leaves them sparse</param>
    private static void BuildRaw(VolumeDefinition volume, VolumeBuildArea area, VolumeCreateFlags flags, bool reserve)
    {
        if (flags.HasFlag(VolumeCreateFlags.PreallocMetadata))
            throw StorageException.Unsupported("metadata preallocation is not supported for raw volumes");
        if (volume.BackingStore is { Path: not null })
            throw StorageException.Unsupported("backing storage not supported for raw volumes");
        using var file = area.CreateFile();
        try
        {
            if (volume.Target.NoCow) CopyOnWrite.Set(area.BuildPath, copyOnWrite: false); // btrfs takes it while the file is empty
            FileSystem.Truncate(file, (long)volume.Capacity);
            // libvirt reserves the allocation (all of it when the XML gave none: allocation defaults to capacity).
            long allocation = (long)Math.Min(volume.Allocation, volume.Capacity);
            if (reserve && allocation > 0) FileSystem.Allocate(file, 0, allocation);
            // No sync here: the build area syncs the file once, before it gets its name (VolumeBuildArea.Commit).
        }
        catch (FileSystemException e) { throw e.ToStorageException(); }
    }

    private static void BuildDirectory(VolumeDefinition volume, string path, VolumeCreateFlags flags)
    {
        if (flags.HasFlag(VolumeCreateFlags.PreallocMetadata))
            throw StorageException.Unsupported("metadata preallocation is not supported for directory volumes");
        try { Directory.CreateDirectory(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw StorageException.System($"cannot create path '{path}'", Errno.FromException(e));
        }
    }

    private static void BuildQcow2(PoolDefinition pool, VolumeDefinition volume, string path, VolumeCreateFlags flags)
    {
        var target = volume.Target;
        string compat = target.Compat ?? DefaultQcow2Compat;
        var features = target.Features ?? [];
        bool lazy = features.Contains("lazy_refcounts"), extendedL2 = features.Contains("extended_l2");
        if (compat is "0.10" && lazy)
            throw StorageException.Unsupported($"lazy_refcounts not supported with compat level {compat}");
        if (compat is "0.10" && extendedL2)
            throw StorageException.Unsupported($"'extended_l2' not supported with compat level {compat}");

        bool prealloc = flags.HasFlag(VolumeCreateFlags.PreallocMetadata);
        string? backingFile = null, backingFormat = null;
        long size = (long)volume.Capacity;
        if (volume.BackingStore is { Path: { } backing } backingStore)
        {
            if (prealloc && !extendedL2)
                throw StorageException.Unsupported("metadata preallocation conflicts with backing store");
            string resolved = Path.IsPathRooted(backing) ? backing : Path.Combine(LocalTargetDirectory.RequirePath(pool), backing);
            int errno = QemuImgBackingCheck.Readable(resolved);
            if (errno != 0) throw StorageException.System($"inaccessible backing store volume {backing}", errno);
            backingFile = backing;
            // libvirt records "raw" when the XML names no format; the backing file's real format is better.
            backingFormat = backingStore.Format ?? VolumeFileProbe.ProbeFormatOrRaw(resolved);
            if (size == 0) size = (long)(VolumeFileProbe.TryProbe(resolved)?.Capacity ?? 0);
        }

        Qcow2Image.Create(path, new Qcow2CreateOptions
        {
            VirtualSize = size,
            ClusterSize = target.ClusterSize is ulong c and > 0 ? (int)Math.Min(c, int.MaxValue) : Qcow2CreateOptions.DefaultClusterSize,
            Compat = compat,
            LazyRefcounts = lazy,
            ExtendedL2 = extendedL2,
            BackingFile = backingFile,
            BackingFormat = backingFormat,
            NoCopyOnWrite = target.NoCow,
            SyncToDisk = false, // the build area syncs it once, before the rename (VolumeBuildArea.Commit)
            // libvirt's rule: metadata when the capacity exceeds the allocation, falloc otherwise.
            Preallocation = !prealloc ? Qcow2Preallocation.Off
                : volume.Capacity > volume.Allocation ? Qcow2Preallocation.Metadata : Qcow2Preallocation.Falloc,
        });
    }

    private void BuildWithQemuImg(PoolDefinition pool, VolumeDefinition volume, string path, VolumeCreateFlags flags, CancellationToken cancel)
    {
        if (volume.BackingStore is { Path: { } backing, Format: null } backingStore)
        {
            // Probe the backing file's format where the XML gave none (an unreadable one is reported by the builder).
            string resolved = Path.IsPathRooted(backing) ? backing : Path.Combine(LocalTargetDirectory.RequirePath(pool), backing);
            string format = QemuImgBackingCheck.Readable(resolved) == 0 ? VolumeFileProbe.ProbeFormatOrRaw(resolved) : "raw";
            volume = volume with { BackingStore = backingStore with { Format = format } };
        }
        var request = new QemuImgRequest
        {
            Volume = volume with { Target = volume.Target with { Path = path } },
            PoolType = pool.Type,
            PoolTargetPath = pool.TargetPath,
            PreallocateMetadata = flags.HasFlag(VolumeCreateFlags.PreallocMetadata),
        };
        foreach (var command in QemuImgCommand.BuildAll(request))
            qemuImg.Run(command, "creation of non-raw file images", cancel);
        if (!File.Exists(path)) throw StorageException.Internal($"qemu-img did not create '{path}'");
    }
}
