using KvmStor.Host;
using KvmStor.Images;
using KvmStor.Images.Qcow2;
using KvmStor.Model;
using Microsoft.Win32.SafeHandles;

namespace KvmStor.Backends.Local;

/// <summary>
/// Fills a new volume file with another volume's guest-visible content (vol-create-from, vol-clone): raw to raw
/// by sparse copy or reflink; anything involving qcow2 natively, copying only data extents and flattening the
/// source's backing chain; other formats through qemu-img convert.
/// </summary>
public sealed class LocalVolumeCloner(QemuImgTool qemuImg)
{
    private const int ChunkSize = 1 << 20;

    public void Clone(PoolDefinition pool, VolumeDefinition volume, VolumeBuildArea area, PoolDefinition sourcePool, VolumeDefinition source,
        VolumeCreateFlags flags, ByteProgress? progress, CancellationToken cancel)
    {
        string sourcePath = source.Target.Path ?? throw StorageException.InvalidArg("missing input volume target path");
        if (volume.Target.Encryption is not null || source.Target.Encryption is not null)
            throw StorageException.Unsupported("storage pool does not support encrypted volumes");
        string targetFormat = RawAlias(volume.Target.Format ?? "raw");
        if (flags.HasFlag(VolumeCreateFlags.PreallocMetadata) && targetFormat != "qcow2")
            throw StorageException.Unsupported("metadata preallocation only available with qcow2");

        using var input = OpenSource(sourcePool, source, sourcePath);
        // The source's recorded format (the lookup's), never what its bytes claim now.
        string sourceFormat = source.Type == VolumeType.Block || input.IsBlockDevice && source.Target.Format is null
            ? "raw" : RawAlias(source.Target.Format ?? "raw");

        if (targetFormat == "raw" && sourceFormat == "raw")
            CopyRaw(volume, area, input, flags, progress, cancel);
        else if (targetFormat is "raw" or "qcow2" && sourceFormat is "raw" or "qcow2")
            CopyThroughQcow2(volume, area, input, sourceFormat, targetFormat, flags, progress, cancel);
        else
            ConvertWithQemuImg(pool, volume, area, sourcePool, source, input, flags, cancel);
        cancel.ThrowIfCancellationRequested();
        LocalVolumePermissions.Apply(area, volume.Target.Permissions);
    }

    /// <summary>
    /// Opens the source: a file pool's entry through its directory handle (links checked, the file the lookup found);
    /// a device of a block pool (logical, disk…) by its path, which that pool's backend vouches for.
    /// </summary>
    private static VolumeFile OpenSource(PoolDefinition sourcePool, VolumeDefinition source, string sourcePath)
    {
        if (sourcePool.TargetPath is { } target
            && Path.GetDirectoryName(sourcePath) == Path.TrimEndingDirectorySeparator(target))
        {
            using var directory = PoolDirectory.Open(sourcePool);
            return directory.OpenVolume(source.Name, FileAccess.Read, source.Identity);
        }
        SafeFileHandle handle;
        try { handle = ProbeHandle.Open(sourcePath); } // read-only, non-blocking, close-on-exec
        catch (FileSystemException e) { throw StorageException.System($"Unable to open '{sourcePath}'", e.Errno); }
        return new VolumeFile(handle, FileSystem.Stat(handle), sourcePath);
    }

    private static string RawAlias(string format) => format == "iso" ? "raw" : format;

    private static void CopyRaw(VolumeDefinition volume, VolumeBuildArea area, VolumeFile input, VolumeCreateFlags flags,
        ByteProgress? progress, CancellationToken cancel)
    {
        var reflink = flags.HasFlag(VolumeCreateFlags.Reflink) ? ReflinkMode.Always : ReflinkMode.Auto;
        using var file = area.CreateFile();
        try
        {
            // FICLONE failures already carry libvirt's "failed to clone files from '…'" text.
            SparseCopy.CopyFile(input.Handle, input.Path, file, new SparseCopyOptions { Reflink = reflink, Progress = progress }, cancel);
            if (RandomAccess.GetLength(file) < (long)volume.Capacity) FileSystem.Truncate(file, (long)volume.Capacity);
            FileSystem.DataSync(file);
        }
        catch (FileSystemException e) { throw e.ToStorageException(); }
    }

    /// <summary>Reads guest data (through the qcow2 layer where there is one) and writes only what is not zero.</summary>
    private static void CopyThroughQcow2(VolumeDefinition volume, VolumeBuildArea area, VolumeFile input, string sourceFormat, string targetFormat,
        VolumeCreateFlags flags, ByteProgress? progress, CancellationToken cancel)
    {
        using var reader = GuestReader.Open(input, sourceFormat);
        long capacity = Math.Max((long)volume.Capacity, reader.Size);
        using var writer = targetFormat == "qcow2"
            ? GuestWriter.Qcow2(area.BuildPath, volume, capacity, flags.HasFlag(VolumeCreateFlags.PreallocMetadata))
            : GuestWriter.Raw(area, capacity);
        byte[] buffer = new byte[ChunkSize];
        long done = 0, total = reader.Size;
        foreach (var (start, length) in reader.DataRanges())
        {
            for (long at = start; at < start + length; at += ChunkSize)
            {
                cancel.ThrowIfCancellationRequested();
                int chunk = (int)Math.Min(ChunkSize, start + length - at);
                var span = buffer.AsSpan(0, chunk);
                reader.Read(at, span);
                if (span.ContainsAnyExcept((byte)0)) writer.Write(at, span);
                progress?.Invoke(Math.Min(done + (at - start) + chunk, total), total);
            }
            done += length;
        }
        writer.Complete();
        progress?.Invoke(total, total);
    }

    private void ConvertWithQemuImg(PoolDefinition pool, VolumeDefinition volume, VolumeBuildArea area, PoolDefinition sourcePool,
        VolumeDefinition source, VolumeFile input, VolumeCreateFlags flags, CancellationToken cancel)
    {
        if (flags.HasFlag(VolumeCreateFlags.Reflink))
            throw StorageException.System($"failed to clone files from '{source.Target.Path}'", Errno.EOPNOTSUPP);
        // qemu-img reads the file we opened and checked, through our descriptor, as its recorded format. A source with
        // a backing chain keeps its path: qemu resolves relative backing names against it.
        string inputPath = source.BackingStore is null ? input.StablePath : input.Path;
        var request = new QemuImgRequest
        {
            Volume = volume with { Target = volume.Target with { Path = area.BuildPath } },
            PoolType = pool.Type,
            PoolTargetPath = pool.TargetPath,
            InputVolume = source with { Target = source.Target with { Path = inputPath, Format = source.Target.Format ?? "raw" } },
            InputPoolType = sourcePool.Type,
            PreallocateMetadata = flags.HasFlag(VolumeCreateFlags.PreallocMetadata),
        };
        foreach (var command in QemuImgCommand.BuildAll(request))
            qemuImg.Run(command, "creation of non-raw file images", cancel);
        using var built = area.OpenBuilt();
        FileSystem.DataSync(built);
    }

    /// <summary>The guest view of a raw file or qcow2 image, with the ranges that may hold data.</summary>
    private sealed class GuestReader : IDisposable
    {
        private readonly SafeFileHandle? _raw;
        private readonly Qcow2Image? _qcow2;

        private GuestReader(SafeFileHandle? raw, Qcow2Image? qcow2) => (_raw, _qcow2) = (raw, qcow2);

        public long Size => _qcow2?.VirtualSize ?? (long)FileSystem.SizeOf(_raw!);

        /// <summary>Reads through the caller's descriptor, which stays the caller's to close.</summary>
        public static GuestReader Open(VolumeFile input, string format) => format == "qcow2"
            ? new GuestReader(null, Qcow2Image.Open(input.Handle, input.Path, writable: false))
            : new GuestReader(input.Handle, null);

        public IEnumerable<(long Start, long Length)> DataRanges()
        {
            if (_qcow2 is not null)
            {
                // Unallocated clusters read from the backing chain, which the copy flattens.
                bool hasBacking = _qcow2.Info.BackingFile is not null;
                foreach (var e in _qcow2.GetExtents())
                    if (e.Kind == Qcow2ExtentKind.Data || (e.Kind == Qcow2ExtentKind.Unallocated && hasBacking))
                        yield return (e.Offset, e.Length);
                yield break;
            }
            long size = Size, position = 0;
            while (position < size)
            {
                long? data;
                try { data = FileSystem.SeekData(_raw!, position); }
                catch (FileSystemException) { data = position; } // no hole support: everything is data
                if (data is null || data >= size) yield break;
                long hole;
                try { hole = FileSystem.SeekHole(_raw!, data.Value); }
                catch (FileSystemException) { hole = size; }
                hole = Math.Min(hole, size);
                yield return (data.Value, hole - data.Value);
                position = hole;
            }
        }

        public void Read(long offset, Span<byte> buffer)
        {
            if (_qcow2 is not null) { _qcow2.Read(offset, buffer); return; }
            int read = 0;
            while (read < buffer.Length)
            {
                int n = RandomAccess.Read(_raw!, buffer[read..], offset + read);
                if (n <= 0) { buffer[read..].Clear(); return; }
                read += n;
            }
        }

        public void Dispose() => _qcow2?.Dispose();
    }

    /// <summary>A new raw file or qcow2 image receiving guest data; everything not written reads as zeros.</summary>
    private sealed class GuestWriter : IDisposable
    {
        private readonly SafeFileHandle? _raw;
        private readonly Qcow2Image? _qcow2;

        private GuestWriter(SafeFileHandle? raw, Qcow2Image? qcow2) => (_raw, _qcow2) = (raw, qcow2);

        public static GuestWriter Raw(VolumeBuildArea area, long capacity)
        {
            var file = area.CreateFile();
            FileSystem.Truncate(file, capacity);
            return new GuestWriter(file, null);
        }

        public static GuestWriter Qcow2(string path, VolumeDefinition volume, long capacity, bool prealloc)
        {
            var target = volume.Target;
            var features = target.Features ?? [];
            Qcow2Image.Create(path, new Qcow2CreateOptions
            {
                VirtualSize = capacity,
                ClusterSize = target.ClusterSize is ulong c and > 0 ? (int)Math.Min(c, int.MaxValue) : Qcow2CreateOptions.DefaultClusterSize,
                Compat = target.Compat ?? LocalVolumeBuilder.DefaultQcow2Compat,
                LazyRefcounts = features.Contains("lazy_refcounts"),
                ExtendedL2 = features.Contains("extended_l2"),
                // libvirt's rule, as for a plain create: metadata below the capacity, falloc when fully allocated.
                Preallocation = !prealloc ? Qcow2Preallocation.Off
                    : (ulong)capacity > volume.Allocation ? Qcow2Preallocation.Metadata : Qcow2Preallocation.Falloc,
                SyncToDisk = false, // the copy is written into it next; Complete syncs the whole
            });
            return new GuestWriter(null, Qcow2Image.Open(path, writable: true));
        }

        public void Write(long offset, ReadOnlySpan<byte> data)
        {
            if (_qcow2 is not null) _qcow2.Write(offset, data);
            else RandomAccess.Write(_raw!, data, offset);
        }

        public void Complete()
        {
            if (_qcow2 is not null) _qcow2.Flush();
            else FileSystem.DataSync(_raw!);
        }

        public void Dispose() => _qcow2?.Dispose();
    }
}
