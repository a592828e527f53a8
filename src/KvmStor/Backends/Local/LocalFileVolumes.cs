using KvmStor.Host;
using KvmStor.Images;
using KvmStor.Images.Qcow2;
using KvmStor.Model;

namespace KvmStor.Backends.Local;

/// <summary>
/// The volumes of a pool whose volumes are the entries of its target directory (dir now; fs, netfs and vstorage
/// once mounted). Lookups probe the directory live, so files made outside kvmstor are visible at once. New
/// volumes are built under a hidden partial name and renamed into place only when complete.
/// </summary>
public sealed class LocalFileVolumes : IVolumeBackend
{
    public const BackendCapabilities Capabilities =
        BackendCapabilities.CreateVolume | BackendCapabilities.CreateVolumeFrom | BackendCapabilities.DeleteVolume |
        BackendCapabilities.ResizeVolume | BackendCapabilities.UploadVolume | BackendCapabilities.DownloadVolume |
        BackendCapabilities.WipeVolume;

    private readonly QemuImgTool _qemuImg;
    private readonly LocalVolumeBuilder _builder;
    private readonly LocalVolumeCloner _cloner;

    public LocalFileVolumes() : this(ProcessCommandRunner.Instance) { }

    public LocalFileVolumes(ICommandRunner runner)
    {
        _qemuImg = new QemuImgTool(runner);
        _builder = new LocalVolumeBuilder(_qemuImg);
        _cloner = new LocalVolumeCloner(_qemuImg);
    }

    public IReadOnlyList<VolumeDefinition> ListVolumes(PoolDefinition pool) =>
        LocalVolumeScanner.Scan(LocalTargetDirectory.RequirePath(pool));

    public VolumeDefinition? FindVolume(PoolDefinition pool, string name) =>
        LocalVolumeScanner.Find(LocalTargetDirectory.RequirePath(pool), name);

    public VolumeDefinition? FindVolumeByKeyOrPath(PoolDefinition pool, string keyOrPath)
    {
        if (!Path.IsPathRooted(keyOrPath)) return null;
        string directory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(LocalTargetDirectory.RequirePath(pool)));
        string full = Path.GetFullPath(keyOrPath);
        return Path.GetDirectoryName(full) == directory ? FindVolume(pool, Path.GetFileName(full)) : null;
    }

    public VolumeDefinition CreateVolume(PoolDefinition pool, VolumeDefinition volume, VolumeCreateFlags flags, ByteProgress? progress, CancellationToken cancel) =>
        BuildInPlace(pool, volume, path => _builder.Build(pool, volume, path, flags, progress, cancel));

    public VolumeDefinition CreateVolumeFrom(PoolDefinition pool, VolumeDefinition volume, PoolDefinition sourcePool, VolumeDefinition source,
        VolumeCreateFlags flags, ByteProgress? progress, CancellationToken cancel) =>
        BuildInPlace(pool, volume, path => _cloner.Clone(pool, volume, path, sourcePool, source, flags, progress, cancel));

    /// <summary>Checks name and path, builds under the partial name, then renames it into place.</summary>
    private static VolumeDefinition BuildInPlace(PoolDefinition pool, VolumeDefinition volume, Action<string> build)
    {
        LocalVolumeNames.EnsureCreatable(volume.Name);
        string path = LocalVolumeNames.PathOf(pool, volume.Name);
        if (FileSystem.TryStat(path, followLinks: false, out _, out _)) // any entry, a dangling link too
            throw PartialVolumeFile.AlreadyExists(path);
        using (var partial = new PartialVolumeFile(path))
        {
            build(partial.TemporaryPath);
            partial.Commit();
        }
        return LocalVolumeScanner.Find(LocalTargetDirectory.RequirePath(pool), volume.Name)
            ?? throw StorageException.Internal($"volume '{path}' vanished after it was created");
    }

    public void DeleteVolume(PoolDefinition pool, VolumeDefinition volume, VolumeDeleteFlags flags)
    {
        if (flags != VolumeDeleteFlags.None)
            throw StorageException.InvalidArg($"unsupported flags (0x{(int)flags:x}) in function virStorageBackendVolDeleteLocal");
        string path = RequirePath(volume);
        switch (volume.Type)
        {
            case VolumeType.Dir:
                try { Directory.Delete(path, recursive: false); }
                catch (DirectoryNotFoundException) { }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw StorageException.System($"cannot remove directory '{path}'", DirectoryErrno(path, e));
                }
                break;
            case VolumeType.Ploop:
                try { Directory.Delete(path, recursive: true); }
                catch (DirectoryNotFoundException) { }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw StorageException.System($"cannot remove directory '{path}'", Errno.FromException(e));
                }
                break;
            case VolumeType.Block or VolumeType.Network or VolumeType.NetDir:
                throw StorageException.Unsupported($"removing block or network volumes is not supported: {path}");
            default:
                try { File.Delete(path); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    int errno = Errno.FromException(e);
                    if (errno != Errno.ENOENT) throw StorageException.System($"cannot unlink file '{path}'", errno);
                }
                break;
        }
    }

    private static int DirectoryErrno(string path, Exception e) =>
        Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any() ? Errno.ENOTEMPTY : Errno.FromException(e);

    public void ResizeVolume(PoolDefinition pool, VolumeDefinition volume, ulong capacity, VolumeResizeFlags flags)
    {
        string path = RequirePath(volume);
        string format = volume.Target.Format ?? "raw";
        bool raw = format is "raw" or "iso" && volume.Target.Encryption is null;
        if (flags.HasFlag(VolumeResizeFlags.Allocate) && !raw)
            throw new StorageException(ErrorCode.OperationUnsupported, "preallocate is only supported for raw type volume");
        if (raw) ResizeRaw(path, capacity, flags.HasFlag(VolumeResizeFlags.Allocate));
        else if (format == "qcow2" && volume.Target.Encryption is null) ResizeQcow2(path, capacity, flags.HasFlag(VolumeResizeFlags.Shrink));
        else if (volume.Type is VolumeType.Dir) throw StorageException.Unsupported($"cannot resize directory volume '{path}'");
        else
        {
            ulong rounded = (capacity + 511) / 512 * 512;
            var args = new List<string> { "resize" };
            if (flags.HasFlag(VolumeResizeFlags.Shrink)) args.Add("--shrink");
            args.AddRange([path, rounded.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            _qemuImg.Run(new CommandLine(QemuImgTool.Program, args), "resizing of non-raw file images");
        }
    }

    private static void ResizeRaw(string path, ulong capacity, bool allocate)
    {
        try
        {
            using var file = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
            FileSystem.Truncate(file, (long)capacity);
            if (allocate && capacity > 0) FileSystem.Allocate(file, 0, (long)capacity);
            FileSystem.DataSync(file);
        }
        catch (FileSystemException e) { throw StorageException.System($"Failed to truncate file '{path}'", e.Errno); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw StorageException.System($"Unable to open '{path}'", Errno.FromException(e));
        }
    }

    private static void ResizeQcow2(string path, ulong capacity, bool allowShrink)
    {
        using var image = Qcow2Image.Open(path, writable: true);
        image.Resize((long)capacity, allowShrink);
    }

    public void Upload(PoolDefinition pool, VolumeDefinition volume, Stream source, TransferRange range, ByteProgress? progress, CancellationToken cancel)
    {
        volume = FindVolume(pool, volume.Name) ?? volume; // its capacity now, not at lookup time
        string path = RequirePath(volume);
        if (volume.Type is VolumeType.Dir or VolumeType.Ploop)
            throw StorageException.System($"Unable to open '{path}'", Errno.EISDIR);
        long? limit = range.Length == 0 ? null : (long)range.Length;
        if (!range.AllowGrow && IsRawData(volume))
            limit = UploadLimit(volume, source, range);
        using var file = OpenForTransfer(path, FileAccess.Write);
        SparseStreamTransfer.Upload(source, file, (long)range.Offset, limit, range.Sparse, progress, cancel);
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
        using var file = OpenForTransfer(path, FileAccess.Read);
        // The file's bytes: for qcow2 and other containers that is the container, as libvirt sends it.
        long size = FileSystem.Stat(file).Kind == FileKind.BlockDevice ? (long)FileSystem.BlockDeviceSize(file) : RandomAccess.GetLength(file);
        if ((long)range.Offset > size)
            throw StorageException.InvalidArg($"offset {range.Offset} is beyond the end of volume '{volume.Name}' ({size} bytes)");
        long length = size - (long)range.Offset;
        if (range.Length != 0) length = Math.Min(length, (long)range.Length);
        SparseStreamTransfer.Download(file, (long)range.Offset, length, destination, range.Sparse, progress, cancel);
    }

    public void Wipe(PoolDefinition pool, VolumeDefinition volume, WipeAlgorithm algorithm, ByteProgress? progress, CancellationToken cancel)
    {
        string path = RequirePath(volume);
        if (algorithm == WipeAlgorithm.Trim)
            throw new StorageException(ErrorCode.ArgumentUnsupported, "'trim' algorithm not supported");
        if (volume.Type is VolumeType.Dir or VolumeType.Ploop)
            throw StorageException.System($"Failed to open storage volume with path '{path}'", Errno.EISDIR);
        if (algorithm == WipeAlgorithm.Zero && volume.Target.Format == "qcow2" && volume.Target.Encryption is null)
        {
            // Better than libvirt (which zeroes the header and leaves a raw file): an empty qcow2 of the same size.
            // Built under a partial name, so a listing meanwhile never shows the empty image as a volume of its own.
            using (var partial = new PartialVolumeFile(path))
                Qcow2Image.WipeToEmpty(path, partial.TemporaryPath);
            progress?.Invoke(1, 1);
            return;
        }
        Qcow2HeaderInfo? qcow2 = volume.Target.Format == "qcow2" && volume.Target.Encryption is null ? Qcow2Image.ReadHeaderInfo(path) : null;
        // Over the whole file: libvirt wipes only `allocation` bytes from the start, which leaves the data of a sparse
        // file beyond that length (or a qcow2's tail clusters) untouched.
        VolumeWiper.Wipe(path, algorithm, null, progress, cancel);
        if (qcow2 is not null) RecreateEmptyQcow2(path, qcow2);
    }

    /// <summary>After a pattern wipe, puts an empty qcow2 with the old options back (libvirt leaves the patterns).</summary>
    private static void RecreateEmptyQcow2(string path, Qcow2HeaderInfo info)
    {
        var status = FileSystem.Stat(path);
        using var partial = new PartialVolumeFile(path);
        Qcow2Image.Create(partial.TemporaryPath, new Qcow2CreateOptions
        {
            VirtualSize = info.VirtualSize,
            ClusterSize = info.ClusterSize,
            Compat = info.Compat,
            LazyRefcounts = info.LazyRefcounts,
            ExtendedL2 = info.ExtendedL2,
            BackingFile = info.BackingFile,
            BackingFormat = info.BackingFormat,
        });
        try
        {
            FileSystem.SetMode(partial.TemporaryPath, status.Mode & 0xFFF);
            FileSystem.SetOwner(partial.TemporaryPath, status.Owner, status.Group);
        }
        catch (FileSystemException e) { throw e.ToStorageException(); }
        partial.Replace();
    }

    private static bool IsRawData(VolumeDefinition volume) =>
        volume.Target.Format is null or "raw" or "iso" && volume.Target.Encryption is null;

    private static string RequirePath(VolumeDefinition volume) =>
        volume.Target.Path ?? volume.Key ?? throw StorageException.InvalidArg($"volume '{volume.Name}' has no target path");

    private static Microsoft.Win32.SafeHandles.SafeFileHandle OpenForTransfer(string path, FileAccess access)
    {
        try { return File.OpenHandle(path, FileMode.Open, access, FileShare.ReadWrite); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw StorageException.System($"Unable to open '{path}'", Errno.FromException(e));
        }
    }
}
