using System.Security.Cryptography;
using KvmStor.Images;
using KvmStor.Model;

namespace KvmStor.Backends.Rbd;

/// <summary>vol-clone / vol-create-from into an rbd pool: copy-on-write clones and full copies.</summary>
internal static class RbdCloner
{
    private const int CopyChunk = 4 << 20;

    /// <summary>
    /// libvirt's sequence: reuse a snapshot of the source that has no changes since, or take a new "libvirt-N" one;
    /// protect it; rbd_clone2 with the source's features and striping. The child shows the parent in `rbd info`.
    /// </summary>
    public static void CloneCopyOnWrite(RadosConnection connection, string sourceName, string cloneName)
    {
        using var source = RbdImage.Open(connection, sourceName, readOnly: false);
        var (features, stripeUnit, stripeCount) = source.CloneParameters();
        ulong size = source.Stat().Size;
        string? snapshot = source.Snapshots().Select(s => s.Name).FirstOrDefault(s => !source.DiffersFrom(s, size));
        if (snapshot is null)
        {
            snapshot = $"libvirt-{RandomNumberGenerator.GetInt32(65534)}";
            source.CreateSnapshot(snapshot);
        }
        if (!source.IsProtected(snapshot)) source.Protect(snapshot);
        int order = 0;
        int rc = connection.Call($"cloning RBD image '{source.FullName}'", () =>
            RbdNative.rbd_clone2(connection.IoContext, sourceName, snapshot, connection.IoContext, cloneName, features, ref order,
                stripeUnit, (int)stripeCount));
        if (rc < 0) throw RbdErrors.Failure($"failed to clone RBD volume {sourceName} to {cloneName}", rc);
    }

    /// <summary>Copies the data extents of an image (its parent's included) into a new, empty image; holes are not written.</summary>
    public static void CopyFromImage(RadosConnection from, string sourceName, RadosConnection to, string targetName,
        ByteProgress? progress, CancellationToken cancel)
    {
        using var source = RbdImage.Open(from, sourceName, readOnly: true);
        using var target = RbdImage.Open(to, targetName, readOnly: false);
        ulong size = source.Stat().Size;
        var extents = source.DataExtents(0, size, includeParent: true);
        long total = extents.Sum(e => (long)e.Length), done = 0;
        byte[] buffer = new byte[CopyChunk];
        foreach (var (offset, length) in extents)
            for (ulong at = offset; at < offset + length;)
            {
                cancel.ThrowIfCancellationRequested();
                int chunk = (int)Math.Min((ulong)buffer.Length, offset + length - at);
                int read = source.Read(at, buffer.AsSpan(0, chunk));
                if (read <= 0) break;
                if (buffer.AsSpan(0, read).ContainsAnyExcept((byte)0)) target.Write(at, buffer.AsSpan(0, read));
                at += (ulong)read;
                done += read;
                progress?.Invoke(done, total);
            }
        target.Flush();
    }

    /// <summary>Copies a raw file volume (another pool's) into a new, empty image, skipping zero blocks.</summary>
    public static void CopyFromFile(VolumeDefinition source, RadosConnection to, string targetName, ByteProgress? progress, CancellationToken cancel)
    {
        string format = source.Target.Format ?? "raw";
        if (format is not ("raw" or "none"))
            throw StorageException.Unsupported($"cannot copy a {format} volume into an rbd pool: only raw data can be copied");
        string path = source.Target.Path ?? throw StorageException.Internal($"volume '{source.Name}' has no path");
        using var input = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        using var target = RbdImage.Open(to, targetName, readOnly: false);
        long size = (long)source.Capacity, done = 0;
        byte[] buffer = new byte[CopyChunk];
        while (done < size)
        {
            cancel.ThrowIfCancellationRequested();
            int read = RandomAccess.Read(input, buffer.AsSpan(0, (int)Math.Min(buffer.Length, size - done)), done);
            if (read <= 0) break;
            if (buffer.AsSpan(0, read).ContainsAnyExcept((byte)0)) target.Write((ulong)done, buffer.AsSpan(0, read));
            done += read;
            progress?.Invoke(done, size);
        }
        target.Flush();
    }
}
