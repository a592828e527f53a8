using KvmStor.Host;
using KvmStor.Images;
using KvmStor.Model;

namespace KvmStor.Backends.Devices;

/// <summary>
/// Upload, download and wipe on a whole block device (a LUN or a multipath map): the device is never resized, so an
/// upload that does not fit fails with libvirt's "No space left on device" instead of growing anything.
/// </summary>
public static class BlockVolumeIo
{
    public static void Upload(string device, string volumeName, Stream source, TransferRange range, ByteProgress? progress, CancellationToken cancel)
    {
        using var handle = Open(device, FileAccess.ReadWrite);
        ulong size = FileSystem.SizeOf(handle);
        if (range.Offset > size) throw StorageException.InvalidArg($"offset {range.Offset} is beyond the end of volume '{volumeName}' ({size} bytes)");
        ulong room = size - range.Offset;
        long length = (long)(range.Length == 0 ? room : Math.Min(range.Length, room));
        SparseStreamTransfer.Upload(source, handle, (long)range.Offset, length, range.Sparse, progress, cancel);
    }

    public static void Download(string device, Stream destination, TransferRange range, ByteProgress? progress, CancellationToken cancel)
    {
        using var handle = Open(device, FileAccess.Read);
        ulong size = FileSystem.SizeOf(handle);
        ulong offset = Math.Min(range.Offset, size);
        ulong length = range.Length == 0 ? size - offset : Math.Min(range.Length, size - offset);
        SparseStreamTransfer.Download(handle, (long)offset, (long)length, destination, range.Sparse, progress, cancel);
    }

    public static void Wipe(string device, WipeAlgorithm algorithm, ByteProgress? progress, CancellationToken cancel)
    {
        try
        {
            VolumeWiper.Wipe(device, algorithm, null, progress, cancel);
        }
        catch (FileSystemException e)
        {
            throw e.ToStorageException();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw StorageException.System($"cannot open volume '{device}'", Errno.FromException(e));
        }
    }

    private static Microsoft.Win32.SafeHandles.SafeFileHandle Open(string device, FileAccess access)
    {
        try
        {
            return File.OpenHandle(device, FileMode.Open, access);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw StorageException.System($"cannot open volume '{device}'", Errno.FromException(e));
        }
    }
}
