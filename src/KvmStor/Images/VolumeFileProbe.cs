using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.Images;

/// <summary>
/// Turns one path of a directory-based pool into a <see cref="ProbedFile"/>, with libvirt's rules: links are
/// followed; dangling links, FIFOs, sockets, character devices and unreadable files are skipped (null);
/// a directory is a "dir" volume of capacity 0, or a ploop volume when it holds DiskDescriptor.xml.
/// </summary>
public static class VolumeFileProbe
{
    private const string PloopDescriptor = "DiskDescriptor.xml", PloopImage = "root.hds";

    /// <summary>Probes <paramref name="path"/>; null when libvirt would skip the entry.</summary>
    public static ProbedFile? TryProbe(string path)
    {
        if (!FileSystem.TryStat(path, followLinks: true, out var status, out _)) return null;
        try
        {
            return status.Kind switch
            {
                FileKind.Directory => ProbeDirectory(path, status),
                FileKind.Regular => ProbeFile(path, status, isBlock: false),
                FileKind.BlockDevice => ProbeFile(path, status, isBlock: true),
                _ => null,
            };
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return null;
        }
    }

    private static ProbedFile ProbeDirectory(string path, FileSystemStatus status)
    {
        string image = Path.Combine(path, PloopImage);
        if (File.Exists(Path.Combine(path, PloopDescriptor)) && File.Exists(image))
        {
            var probe = FormatProbe.ProbeFile(image) with { Format = "ploop" };
            var imageStatus = FileSystem.Stat(image);
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

    private static ProbedFile ProbeFile(string path, FileSystemStatus status, bool isBlock)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        var probe = FormatProbe.Probe(handle, path);
        ulong size = isBlock ? FileSystem.BlockDeviceSize(handle) : status.Size;
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

    private static string ProbeFormatOrRaw(string path)
    {
        try { return FormatProbe.ProbeFile(path).Format; }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException) { return "raw"; }
    }
}
