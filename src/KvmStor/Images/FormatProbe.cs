using KvmStor.Host;
using KvmStor.Images.Probes;
using Microsoft.Win32.SafeHandles;

namespace KvmStor.Images;

/// <summary>
/// Recognises an image format from its leading bytes, as libvirt does on pool refresh: raw, qcow, qcow2, qed,
/// vmdk, vdi, vpc, iso, bochs, cloop, dmg, cow, ploop. Only the header is read (see <see cref="HeaderSize"/>),
/// plus a backing-file name of at most a few KiB when a header points beyond it.
/// Probing is total: whatever the bytes, it returns a probe (raw when nothing matches) and never throws, so a file
/// with a hostile header still lists, and can still be deleted or wiped.
/// </summary>
public static class FormatProbe
{
    /// <summary>Bytes read from the start of a file: enough to reach the ISO 9660 signature at 32769.</summary>
    public const int HeaderSize = 34 * 1024;

    /// <summary>Probes a header already in memory (no reads beyond it).</summary>
    public static ImageProbe Probe(ReadOnlySpan<byte> header, string? fileName = null)
        => Probe(header, fileName, static (_, _) => []);

    /// <summary>
    /// Opens <paramref name="path"/> (following links, without blocking on a FIFO) and probes it. Throws only when the
    /// file cannot be opened (an <see cref="IOException"/>); what it holds never makes it throw.
    /// </summary>
    public static ImageProbe ProbeFile(string path)
    {
        using var handle = ProbeHandle.Open(path);
        return Probe(handle, path);
    }

    /// <summary>
    /// Reads the header of an open file or device and probes it. Safe on any handle: anything but a regular file or a
    /// block device (a FIFO, socket or terminal could block a read for ever) is raw unread, and a read that fails
    /// counts as the end of the file.
    /// </summary>
    public static ImageProbe Probe(SafeFileHandle handle, string path)
    {
        if (handle is null || handle.IsInvalid || handle.IsClosed) return ImageProbe.Raw;
        FileSystemStatus status;
        try { status = FileSystem.Stat(handle); }
        catch (IOException) { return ImageProbe.Raw; }
        return Probe(handle, status, path);
    }

    /// <summary>
    /// The same with the handle's own fstat at hand (<paramref name="status"/>), for a caller that just took it: a
    /// pool's listing and each server call on a volume probe through here, one system call fewer per file.
    /// </summary>
    public static ImageProbe Probe(SafeFileHandle handle, FileSystemStatus status, string path)
    {
        if (handle.IsInvalid || handle.IsClosed) return ImageProbe.Raw;
        if (status.Kind is not (FileKind.Regular or FileKind.BlockDevice)) return ImageProbe.Raw;

        // A regular file's bytes end at st_size (names "stored" beyond it are absent); a device ends where reads stop.
        long end = status.Kind == FileKind.Regular ? (long)Math.Min(status.Size, long.MaxValue) : long.MaxValue;
        byte[] header = new byte[(int)Math.Min(HeaderSize, end)];
        int length = ReadFully(handle, header, 0);
        return Probe(header.AsSpan(0, length), Path.GetFileName(path), (offset, count) =>
        {
            if (offset < 0 || count <= 0 || offset >= end) return [];
            byte[] extra = new byte[(int)Math.Min(count, end - offset)];
            return extra[..ReadFully(handle, extra, offset)];
        });
    }

    internal static ImageProbe Probe(ReadOnlySpan<byte> header, string? fileName, ReadAt readAt)
        => QcowProbe.TryProbe(header, readAt)
           ?? QedProbe.TryProbe(header, readAt)
           ?? VmdkProbe.TryProbe(header)
           ?? SignatureProbes.TryProbe(header, fileName)
           ?? ImageProbe.Raw;

    /// <summary>Fills <paramref name="buffer"/> from <paramref name="offset"/>; stops at the end of the file or at an error.</summary>
    private static int ReadFully(SafeFileHandle handle, byte[] buffer, long offset)
    {
        int total = 0;
        try
        {
            while (total < buffer.Length)
            {
                int n = RandomAccess.Read(handle, buffer.AsSpan(total), offset + total);
                if (n <= 0) break;
                total += n;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ObjectDisposedException)
        {
            // EIO on a failing disk, EISDIR, EBADF on a write-only handle: the header is what was read so far.
        }
        return total;
    }
}
