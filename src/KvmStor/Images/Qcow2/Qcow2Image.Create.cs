using Microsoft.Win32.SafeHandles;

namespace KvmStor.Images.Qcow2;

// Making new images and emptying existing ones.
public sealed partial class Qcow2Image
{
    /// <summary>
    /// Creates a new image file (never overwrites: the file must not exist). If anything fails, the file is removed.
    /// </summary>
    public static void Create(string path, Qcow2CreateOptions options)
    {
        var layout = new Qcow2LayoutWriter(options); // validates before anything touches the disk
        long reserve = options.Preallocation == Qcow2Preallocation.Falloc ? layout.FileLength : 0;
        SafeFileHandle file;
        try
        {
            // NOCOW only takes on an empty file, so the reservation waits until the attribute is set.
            file = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, FileOptions.None,
                options.NoCopyOnWrite ? 0 : reserve);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw StorageException.Failed($"cannot create qcow2 image '{path}': {e.Message}");
        }
        try
        {
            using (file)
            {
                if (options.NoCopyOnWrite)
                {
                    KvmStor.Host.CopyOnWrite.Set(path, copyOnWrite: false);
                    if (reserve > 0) KvmStor.Host.FileSystem.Allocate(file, 0, reserve);
                }
                layout.WriteTo(file);
                if (options.SyncToDisk) RandomAccess.FlushToDisk(file);
            }
        }
        catch (Exception e)
        {
            File.Delete(path);
            if (e is StorageException) throw;
            throw StorageException.Failed($"cannot create qcow2 image '{path}': {e.Message}");
        }
    }

    /// <summary>
    /// Turns an existing image into an empty one with the same virtual size, cluster size, compat level, features,
    /// backing file, mode and owner. The empty image is built beside the old one and renamed over it, so a crash
    /// leaves either the old image or the empty one, never a truncated file; the old clusters go back to the file
    /// system with the old inode (released, not overwritten).
    /// </summary>
    /// <param name="temporaryPath">Where the empty image is built before it replaces the old one (a name listings skip);
    /// by default a hidden name beside the image.</param>
    public static void WipeToEmpty(string path, string? temporaryPath = null)
    {
        Qcow2Header h;
        using (SafeFileHandle file = File.OpenHandle(path, FileMode.Open, FileAccess.Read))
        {
            h = ReadHeader(file, path);
            EnsureOpenable(h, path, writable: false);
        }
        var status = Host.FileSystem.Stat(path);
        string directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        string temporary = temporaryPath ?? System.IO.Path.Combine(directory, $".{System.IO.Path.GetFileName(path)}.wipe.{Environment.ProcessId}.tmp");
        Create(temporary, new Qcow2CreateOptions
        {
            VirtualSize = (long)h.Size,
            ClusterSize = h.ClusterSize,
            Compat = h.Version == 2 ? "0.10" : "1.1",
            LazyRefcounts = (h.CompatibleFeatures & Qcow2Format.CompatLazyRefcounts) != 0,
            ExtendedL2 = h.ExtendedL2,
            BackingFile = h.BackingFile,
            BackingFormat = h.BackingFormat,
        });
        try
        {
            Host.FileSystem.SetMode(temporary, status.Mode & 0xFFF);
            Host.FileSystem.SetOwner(temporary, status.Owner, status.Group);
            File.Move(temporary, path, overwrite: true);
            Host.AtomicFile.SyncDirectory(directory);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }
}
