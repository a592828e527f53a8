using KvmStor.Images.Probes;
using Microsoft.Win32.SafeHandles;

namespace KvmStor.Images;

/// <summary>
/// Recognises an image format from its leading bytes, as libvirt does on pool refresh: raw, qcow, qcow2, qed,
/// vmdk, vdi, vpc, iso, bochs, cloop, dmg, cow, ploop. Only the header is read (see <see cref="HeaderSize"/>),
/// plus a backing-file name when a header points beyond it.
/// </summary>
public static class FormatProbe
{
    /// <summary>Bytes read from the start of a file: enough to reach the ISO 9660 signature at 32769.</summary>
    public const int HeaderSize = 34 * 1024;

    /// <summary>Probes a header already in memory (no reads beyond it).</summary>
    public static ImageProbe Probe(ReadOnlySpan<byte> header, string? fileName = null)
        => Probe(header, fileName, static (_, _) => []);

    public static ImageProbe ProbeFile(string path)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        return Probe(handle, path);
    }

    /// <summary>Reads the header of an open file or device and probes it.</summary>
    public static ImageProbe Probe(SafeFileHandle handle, string path)
    {
        byte[] header = new byte[HeaderSize];
        int length = ReadFully(handle, header, 0);
        return Probe(header.AsSpan(0, length), Path.GetFileName(path), (offset, count) =>
        {
            byte[] extra = new byte[count];
            return extra[..ReadFully(handle, extra, offset)];
        });
    }

    internal static ImageProbe Probe(ReadOnlySpan<byte> header, string? fileName, ReadAt readAt)
        => QcowProbe.TryProbe(header, readAt)
           ?? QedProbe.TryProbe(header, readAt)
           ?? VmdkProbe.TryProbe(header)
           ?? SignatureProbes.TryProbe(header, fileName)
           ?? ImageProbe.Raw;

    private static int ReadFully(SafeFileHandle handle, byte[] buffer, long offset)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = RandomAccess.Read(handle, buffer.AsSpan(total), offset + total);
            if (n <= 0) break;
            total += n;
        }
        return total;
    }
}
