using KvmStor.Host;
using KvmStor.Images;
using KvmStor.Images.Qcow2;
using KvmStor.Model;

namespace KvmStor.Backends.Local;

/// <summary>
/// The volumes of a pool whose volumes are the entries of its target directory (dir now; fs, netfs and vstorage
/// once mounted). Lookups look at the directory live, so files made outside kvmstor are visible at once. Every entry
/// is reached through <see cref="PoolDirectory"/> (relative to a handle of the directory, links checked); new volumes
/// are built in a private <see cref="VolumeBuildArea"/> and renamed into place only when complete; a volume's format
/// is the recorded one (<see cref="IVolumeFormatRecords"/>), never re-guessed from bytes a guest wrote.
/// </summary>
public sealed class LocalFileVolumes : IVolumeBackend, IVolumeCreator, IVolumeCloner, IVolumeDeleter, IVolumeResizer,
    IVolumeUploader, IVolumeDownloader, IVolumeWiper
{
    private readonly QemuImgTool _qemuImg;
    private readonly LocalVolumeBuilder _builder;
    private readonly LocalVolumeCloner _cloner;

    public LocalFileVolumes(ICommandRunner runner)
    {
        _qemuImg = new QemuImgTool(runner);
        _builder = new LocalVolumeBuilder(_qemuImg);
        _cloner = new LocalVolumeCloner(_qemuImg);
    }

    /// <summary>The formats recorded for this pool type's files (plugged in by the registry; by default nothing is kept).</summary>
    public IVolumeFormatRecords Records { get; set; } = new VolumeFormatRecordsBridge();

    public IReadOnlyList<VolumeDefinition> ListVolumes(PoolDefinition pool)
    {
        using var directory = PoolDirectory.Open(pool);
        return LocalVolumeScanner.Scan(directory, Records, pool);
    }

    public VolumeDefinition? FindVolume(PoolDefinition pool, string name)
    {
        using var directory = PoolDirectory.Open(pool);
        return LocalVolumeScanner.Find(directory, Records, pool, name);
    }

    public VolumeDefinition? FindVolumeByKeyOrPath(PoolDefinition pool, string keyOrPath)
    {
        if (!Path.IsPathRooted(keyOrPath)) return null;
        string directory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(LocalTargetDirectory.RequirePath(pool)));
        string full = Path.GetFullPath(keyOrPath);
        return Path.GetDirectoryName(full) == directory ? FindVolume(pool, Path.GetFileName(full)) : null;
    }

    public VolumeDefinition CreateVolume(PoolDefinition pool, VolumeDefinition volume, VolumeCreateFlags flags, ByteProgress? progress, CancellationToken cancel) =>
        BuildInPlace(pool, volume, area => _builder.Build(pool, volume, area, flags, progress, cancel));

    public VolumeDefinition CreateVolumeFrom(PoolDefinition pool, VolumeDefinition volume, PoolDefinition sourcePool, VolumeDefinition source,
        VolumeCreateFlags flags, ByteProgress? progress, CancellationToken cancel) =>
        BuildInPlace(pool, volume, area => _cloner.Clone(pool, volume, area, sourcePool, source, flags, progress, cancel));

    /// <summary>
    /// Checks the name, builds in a private build area, renames the result into place (never over an entry that
    /// appeared meanwhile) and records the format it was built with.
    /// </summary>
    private VolumeDefinition BuildInPlace(PoolDefinition pool, VolumeDefinition volume, Action<VolumeBuildArea> build)
    {
        LocalVolumeNames.EnsureCreatable(volume.Name);
        using var directory = PoolDirectory.Open(pool);
        string path = directory.PathOf(volume.Name);
        if (directory.Handle.TryStatEntry(volume.Name, out _, out _)) // any entry, a dangling link too
            throw VolumeBuildArea.AlreadyExists(path);
        FileSystemStatus built;
        using (var area = new VolumeBuildArea(directory))
        {
            try
            {
                build(area);
                built = area.BuiltStatus();
                area.Commit(volume.Name);
            }
            catch (StorageException e) { throw area.InTermsOf(e, path); }
        }
        Record(pool, volume.Name, built, RecordedFormatOf(volume));
        return LocalVolumeScanner.Find(directory, Records, pool, volume.Name)
            ?? throw StorageException.Internal($"volume '{path}' vanished after it was created");
    }

    private static string RecordedFormatOf(VolumeDefinition volume) =>
        volume.Target.Format ?? (volume.Type == VolumeType.Dir ? "dir" : "raw");

    private void Record(PoolDefinition pool, string name, FileSystemStatus file, string format) =>
        Records.Update(pool, [new RecordChange(name, RecordChangeKind.Set, RecordedFormat.Of(file, format))]);

    private void Forget(PoolDefinition pool, string name) => Records.Update(pool, [new RecordChange(name, RecordChangeKind.Remove)]);

    public void DeleteVolume(PoolDefinition pool, VolumeDefinition volume, VolumeDeleteFlags flags)
    {
        if (flags != VolumeDeleteFlags.None)
            throw StorageException.InvalidArg($"unsupported flags (0x{(int)flags:x}) in function virStorageBackendVolDeleteLocal");
        if (volume.Type is VolumeType.Block or VolumeType.Network or VolumeType.NetDir)
            throw StorageException.Unsupported($"removing block or network volumes is not supported: {RequirePath(volume)}");
        using var directory = PoolDirectory.Open(pool);
        string name = volume.Name, path = directory.PathOf(name);
        if (!directory.Handle.TryStatEntry(name, out var entry, out _))
        {
            Forget(pool, name);
            return; // already gone, as libvirt's unlink of a missing file
        }
        EnsureSameEntry(directory, name, entry, volume.Identity);
        try
        {
            // unlinkat never follows a link: deleting a linked volume removes the link, as libvirt's unlink does.
            switch (volume.Type)
            {
                case VolumeType.Dir when entry.Kind == FileKind.Directory: directory.Handle.RemoveDirectory(name); break;
                case VolumeType.Ploop when entry.Kind == FileKind.Directory: RemovePloop(directory, name); break;
                default: directory.Handle.Unlink(name); break;
            }
        }
        catch (FileSystemException e) when (entry.Kind == FileKind.Directory)
        {
            throw StorageException.System($"cannot remove directory '{path}'", e.Errno);
        }
        catch (FileSystemException e) { throw StorageException.System($"cannot unlink file '{path}'", e.Errno); }
        directory.Handle.Sync();
        Forget(pool, name);
    }

    /// <summary>The entry at the name must still be the volume that was looked up (itself, or what a trusted link leads to).</summary>
    private static void EnsureSameEntry(PoolDirectory directory, string name, FileSystemStatus entry, FileIdentity? expected)
    {
        if (expected is not { } want || entry.Identity == want) return;
        if (entry.Kind == FileKind.SymbolicLink && directory.Handle.TryStatEntryFollowing(name, out var target, out _) && target.Identity == want)
            return;
        throw PoolDirectory.Replaced(directory.PathOf(name));
    }

    /// <summary>A ploop volume is a directory of kvmstor-known files: each is unlinked through the directory's handle.</summary>
    private static void RemovePloop(PoolDirectory directory, string name)
    {
        using (var ploop = directory.Handle.OpenDirectory(name))
            foreach (var inner in ploop.Names())
                if (ploop.TryStatEntry(inner, out var status, out _) && status.Kind != FileKind.Directory)
                    ploop.Unlink(inner);
        directory.Handle.RemoveDirectory(name);
    }

    public void ResizeVolume(PoolDefinition pool, VolumeDefinition volume, ulong capacity, VolumeResizeFlags flags)
    {
        string path = RequirePath(volume);
        string format = volume.Target.Format ?? "raw";
        bool raw = format is "raw" or "iso" && volume.Target.Encryption is null;
        if (flags.HasFlag(VolumeResizeFlags.Allocate) && !raw)
            throw new StorageException(ErrorCode.OperationUnsupported, "preallocate is only supported for raw type volume");
        if (volume.Type is VolumeType.Dir or VolumeType.Ploop) throw StorageException.Unsupported($"cannot resize directory volume '{path}'");
        using var directory = PoolDirectory.Open(pool);
        using var file = directory.OpenVolume(volume.Name, FileAccess.ReadWrite, volume.Identity);
        if (raw) ResizeRaw(file, capacity, flags.HasFlag(VolumeResizeFlags.Allocate));
        else if (format == "qcow2" && volume.Target.Encryption is null)
        {
            using var image = Qcow2Image.Open(file.Handle, file.Path, writable: true);
            image.Resize((long)capacity, flags.HasFlag(VolumeResizeFlags.Shrink));
        }
        else
        {
            ulong rounded = (capacity + 511) / 512 * 512;
            var args = new List<string> { "resize", "-f", format };
            if (flags.HasFlag(VolumeResizeFlags.Shrink)) args.Add("--shrink");
            // qemu-img reopens exactly the file we checked, through our descriptor.
            args.AddRange([file.StablePath, rounded.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            _qemuImg.Run(new CommandLine(QemuImgTool.Program, args), "resizing of non-raw file images");
        }
    }

    private static void ResizeRaw(VolumeFile file, ulong capacity, bool allocate)
    {
        if (file.IsBlockDevice) throw StorageException.Unsupported($"cannot resize block device '{file.Path}'");
        try
        {
            FileSystem.Truncate(file.Handle, (long)capacity);
            if (allocate && capacity > 0) FileSystem.Allocate(file.Handle, 0, (long)capacity);
            FileSystem.DataSync(file.Handle);
        }
        catch (FileSystemException e) { throw StorageException.System($"Failed to truncate file '{file.Path}'", e.Errno); }
    }

    public void Upload(PoolDefinition pool, VolumeDefinition volume, Stream source, TransferRange range, ByteProgress? progress, CancellationToken cancel)
    {
        // Its capacity now, not at lookup time; still the file the lookup found (OpenVolume checks).
        if (FindVolume(pool, volume.Name) is { } now) volume = now with { Identity = volume.Identity ?? now.Identity };
        string path = RequirePath(volume);
        if (volume.Type is VolumeType.Dir or VolumeType.Ploop)
            throw StorageException.System($"Unable to open '{path}'", Errno.EISDIR);
        using var directory = PoolDirectory.Open(pool);
        using var file = directory.OpenVolume(volume.Name, FileAccess.Write, volume.Identity);
        long? limit = range.Length == 0 ? null : (long)range.Length;
        if (!range.AllowGrow && IsRawData(volume))
            limit = UploadLimit(volume, source, range);
        SparseStreamTransfer.Upload(source, file.Handle, (long)range.Offset, limit, range.Sparse, progress, cancel);
    }

    /// <summary>
    /// kvmstor's rule (libvirt lets an upload grow a file volume past its capacity): data must fit between the
    /// offset and the capacity unless the caller allows growing; a stream of known size is refused before anything
    /// is written, an unknown one stops with libvirt's "No space left on device" at the capacity.
    /// </summary>
    private static long UploadLimit(VolumeDefinition volume, Stream source, TransferRange range)
    {
        ulong capacity = volume.Capacity;
        if (range.Offset > capacity)
            throw StorageException.InvalidArg($"offset {range.Offset} is beyond the capacity of volume '{volume.Name}' ({capacity} bytes)");
        ulong room = capacity - range.Offset;
        ulong? wanted = range.Length != 0 ? range.Length
            : source.CanSeek ? (ulong)Math.Max(0, source.Length - source.Position) : null;
        if (wanted > room)
            throw StorageException.InvalidArg(
                $"upload of {wanted} bytes at offset {range.Offset} exceeds the capacity of volume '{volume.Name}' ({capacity} bytes); resize the volume first");
        return (long)(range.Length != 0 ? range.Length : room);
    }

    public void Download(PoolDefinition pool, VolumeDefinition volume, Stream destination, TransferRange range, ByteProgress? progress, CancellationToken cancel)
    {
        string path = RequirePath(volume);
        if (volume.Type is VolumeType.Dir or VolumeType.Ploop)
            throw StorageException.System($"Unable to open '{path}'", Errno.EISDIR);
        using var directory = PoolDirectory.Open(pool);
        using var file = directory.OpenVolume(volume.Name, FileAccess.Read, volume.Identity);
        // The file's bytes: for qcow2 and other containers that is the container, as libvirt sends it.
        long size = file.Length;
        if ((long)range.Offset > size)
            throw StorageException.InvalidArg($"offset {range.Offset} is beyond the end of volume '{volume.Name}' ({size} bytes)");
        long length = size - (long)range.Offset;
        if (range.Length != 0) length = Math.Min(length, (long)range.Length);
        SparseStreamTransfer.Download(file.Handle, (long)range.Offset, length, destination, range.Sparse, progress, cancel);
    }

    public void Wipe(PoolDefinition pool, VolumeDefinition volume, WipeAlgorithm algorithm, ByteProgress? progress, CancellationToken cancel)
    {
        string path = RequirePath(volume);
        if (algorithm == WipeAlgorithm.Trim)
            throw new StorageException(ErrorCode.ArgumentUnsupported, "'trim' algorithm not supported");
        if (volume.Type is VolumeType.Dir or VolumeType.Ploop)
            throw StorageException.System($"Failed to open storage volume with path '{path}'", Errno.EISDIR);
        bool qcow2 = volume.Target.Format == "qcow2" && volume.Target.Encryption is null;
        using var directory = PoolDirectory.Open(pool);
        using var file = directory.OpenVolume(volume.Name, FileAccess.ReadWrite, volume.Identity);
        Qcow2HeaderInfo? header = qcow2 ? ReadableQcow2Header(file) : null;
        // The empty image takes the volume's name; through a (root's) link that would replace the link, not its target.
        if (header is not null && directory.Handle.TryStatEntry(volume.Name, out var entry, out _) && entry.Kind == FileKind.SymbolicLink)
            throw StorageException.Unsupported($"'{path}' is a symbolic link; a wiped qcow2 is rebuilt in place of its file, so wipe the link's target");
        if (header is not null && algorithm != WipeAlgorithm.Zero)
            // Over the whole file: libvirt wipes only `allocation` bytes from the start, which leaves the data of a
            // sparse file beyond that length (or a qcow2's tail clusters) untouched.
            VolumeWiper.Wipe(file.Handle, file.Path, algorithm, null, progress, cancel);
        if (header is not null)
        {
            // Better than libvirt (which leaves a raw file of zeros or patterns): an empty qcow2 of the same size and
            // options, built aside and renamed over the old one, which releases its clusters.
            RebuildEmptyQcow2(pool, directory, volume.Name, file, header);
            progress?.Invoke(1, 1);
            return;
        }
        VolumeWiper.Wipe(file.Handle, file.Path, algorithm, null, progress, cancel);
    }

    /// <summary>A qcow2 header kvmstor can rebuild from; null when it is damaged (the file is then wiped whole, as raw).</summary>
    private static Qcow2HeaderInfo? ReadableQcow2Header(VolumeFile file)
    {
        try { return Qcow2Image.ReadHeaderInfo(file.Handle, file.Path); }
        catch (StorageException) { return null; }
    }

    /// <summary>Puts an empty qcow2 with the old header's options, mode and owner in place of the wiped one.</summary>
    private void RebuildEmptyQcow2(PoolDefinition pool, PoolDirectory directory, string name, VolumeFile old, Qcow2HeaderInfo info)
    {
        using var area = new VolumeBuildArea(directory);
        try
        {
            Qcow2Image.Create(area.BuildPath, new Qcow2CreateOptions
            {
                VirtualSize = info.VirtualSize,
                ClusterSize = info.ClusterSize,
                Compat = info.Compat,
                LazyRefcounts = info.LazyRefcounts,
                ExtendedL2 = info.ExtendedL2,
                BackingFile = info.BackingFile,
                BackingFormat = info.BackingFormat,
                SyncToDisk = false, // the build area syncs it once, before the rename (VolumeBuildArea.Replace)
            });
            using (var built = area.OpenBuilt())
            {
                FileSystem.SetMode(built, old.Status.Mode & 0xFFF, old.Path);
                FileSystem.SetOwner(built, old.Status.Owner, old.Status.Group, old.Path);
            }
            var rebuilt = area.BuiltStatus();
            area.Replace(name, old.Status.Identity);
            Record(pool, name, rebuilt, "qcow2");
        }
        catch (FileSystemException e) { throw area.InTermsOf(e.ToStorageException(), old.Path); }
        catch (StorageException e) { throw area.InTermsOf(e, old.Path); }
    }

    private static bool IsRawData(VolumeDefinition volume) =>
        volume.Target.Format is null or "raw" or "iso" && volume.Target.Encryption is null;

    private static string RequirePath(VolumeDefinition volume) =>
        volume.Target.Path ?? volume.Key ?? throw StorageException.InvalidArg($"volume '{volume.Name}' has no target path");
}
