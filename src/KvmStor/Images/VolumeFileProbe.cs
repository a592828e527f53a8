using KvmStor.Host;
using KvmStor.Model;
using Microsoft.Win32.SafeHandles;

namespace KvmStor.Images;

/// <summary>
/// Turns one entry of a directory-based pool into a <see cref="ProbedFile"/>, with libvirt's rules: a regular file or
/// block device is probed for its format; a directory is a "dir" volume of capacity 0, or a ploop volume when it
/// holds DiskDescriptor.xml. The caller opens the entry (safely, relative to the pool directory) and hands over the
/// descriptor: nothing here opens a pool's entries by path.
/// </summary>
public static class VolumeFileProbe
{
    private const string PloopDescriptor = "DiskDescriptor.xml", PloopImage = "root.hds";

    /// <summary>Probes an open regular file or block device; <paramref name="status"/> is its fstat.</summary>
    public static ProbedFile ProbeOpenFile(SafeFileHandle handle, FileSystemStatus status, string path)
    {
        bool isBlock = status.Kind == FileKind.BlockDevice;
        var probe = FormatProbe.Probe(handle, status, path);
        ulong size = FileSystem.SizeOf(handle, status);
        bool sizedByFile = probe.Format is "raw" or "iso" or "dmg" or "cloop" || probe.Capacity is null or 0;
        return new ProbedFile
        {
            Path = path,
            Type = isBlock ? VolumeType.Block : VolumeType.File,
            Status = status,
            Image = probe,
            Capacity = sizedByFile ? size : probe.Capacity!.Value,
            // A block device has no holes libvirt can see: it counts the whole device as allocated.
            Allocation = isBlock ? size : status.AllocatedBytes,
            Physical = size,
            Backing = ResolveBacking(path, probe),
        };
    }

    /// <summary>A directory entry: a ploop volume when its descriptor and image are there, else a "dir" volume.</summary>
    public static ProbedFile ProbeDirectory(DirectoryHandle directory, FileSystemStatus status, string path)
    {
        if (directory.TryStatEntry(PloopDescriptor, out var descriptor, out _) && descriptor.Kind == FileKind.Regular
            && directory.TryStatEntry(PloopImage, out var image, out _) && image.Kind == FileKind.Regular)
        {
            using var handle = directory.OpenEntry(PloopImage, FileAccess.Read);
            var imageStatus = FileSystem.Stat(handle);
            var probe = FormatProbe.Probe(handle, directory.Join(PloopImage)) with { Format = "ploop" };
            return new ProbedFile
            {
                Path = path, Type = VolumeType.Ploop, Status = status, Image = probe,
                Capacity = probe.Capacity ?? imageStatus.Size,
                Allocation = imageStatus.AllocatedBytes,
                Physical = imageStatus.Size,
            };
        }
        return new ProbedFile
        {
            Path = path, Type = VolumeType.Dir, Status = status,
            Image = new ImageProbe { Format = "dir" },
            Capacity = 0, Allocation = 0,
        };
    }

    /// <summary>
    /// Probes a path named by root's own input (a backing file an XML names), never blocking on a FIFO or device;
    /// null when it is missing, unreadable or not a regular file, block device or directory.
    /// </summary>
    public static ProbedFile? TryProbe(string path)
    {
        using var handle = OpenForProbe(path);
        if (handle is null) return null;
        try
        {
            var status = FileSystem.Stat(handle);
            if (status.Kind == FileKind.Directory)
            {
                using var directory = DirectoryHandle.Open(path);
                return ProbeDirectory(directory, directory.Status(), path);
            }
            return status.Kind is FileKind.Regular or FileKind.BlockDevice ? ProbeOpenFile(handle, status, path) : null;
        }
        catch (IOException) { return null; }
    }

    /// <summary>The format a file's header claims, or raw when it cannot be read (libvirt does the same).</summary>
    public static string ProbeFormatOrRaw(string path)
    {
        using var handle = OpenForProbe(path);
        if (handle is null) return "raw";
        try
        {
            return FileSystem.Stat(handle).Kind is FileKind.Regular or FileKind.BlockDevice ? FormatProbe.Probe(handle, path).Format : "raw";
        }
        catch (IOException) { return "raw"; }
    }

    private static SafeFileHandle? OpenForProbe(string path)
    {
        try { return ProbeHandle.Open(path); }
        catch (FileSystemException) { return null; }
    }

    /// <summary>
    /// Resolves the backing name against the image's directory. A format the header leaves open is probed from
    /// the backing file itself, and taken as raw when that file cannot be read (libvirt does the same).
    /// </summary>
    private static ProbedBacking? ResolveBacking(string imagePath, ImageProbe probe)
    {
        if (string.IsNullOrEmpty(probe.BackingPath)) return null;
        string backing = probe.BackingPath;
        bool isUri = backing.Contains("://", StringComparison.Ordinal) || backing.StartsWith("json:", StringComparison.Ordinal);
        if (!isUri && !Path.IsPathRooted(backing))
            backing = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(imagePath) ?? "/", backing));
        if (isUri) return new ProbedBacking(backing, "raw", null);

        FileSystemStatus? status = FileSystem.TryStat(backing, followLinks: true, out var s, out _) ? s : null;
        string format = probe.BackingFormat ?? ProbeFormatOrRaw(backing);
        return new ProbedBacking(backing, format, status);
    }
}
