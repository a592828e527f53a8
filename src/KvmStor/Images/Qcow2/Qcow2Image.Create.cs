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
            file = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, FileOptions.None, reserve);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw StorageException.Failed($"cannot create qcow2 image '{path}': {e.Message}");
        }
        try
        {
            using (file)
            {
                layout.WriteTo(file);
                RandomAccess.FlushToDisk(file);
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
    /// Turns an existing image into an empty one with the same virtual size, cluster size, compat level, features and
    /// backing file. The old clusters are released to the file system (the file is truncated), not overwritten.
    /// </summary>
    public static void WipeToEmpty(string path)
    {
        using SafeFileHandle file = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
        Qcow2Header h = ReadHeader(file, path);
        EnsureOpenable(h, path, writable: false);
        var layout = new Qcow2LayoutWriter(new Qcow2CreateOptions
        {
            VirtualSize = (long)h.Size,
            ClusterSize = h.ClusterSize,
            Compat = h.Version == 2 ? "0.10" : "1.1",
            LazyRefcounts = (h.CompatibleFeatures & Qcow2Format.CompatLazyRefcounts) != 0,
            ExtendedL2 = h.ExtendedL2,
            BackingFile = h.BackingFile,
            BackingFormat = h.BackingFormat,
        });
        RandomAccess.SetLength(file, 0);
        layout.WriteTo(file);
        RandomAccess.FlushToDisk(file);
    }
}
