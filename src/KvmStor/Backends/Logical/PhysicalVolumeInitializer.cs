using KvmStor.Host;
using Microsoft.Win32.SafeHandles;

namespace KvmStor.Backends.Logical;

/// <summary>
/// Clears the first and last MiB of a device before pvcreate, as libvirt does, so that no old partition table,
/// filesystem or PV label (lvm keeps a copy at the end too) survives to confuse lvm or blkid.
/// </summary>
public static class PhysicalVolumeInitializer
{
    public const int ClearedBytes = 1 << 20;

    public static void ClearLabels(string device)
    {
        try
        {
            using var handle = File.OpenHandle(device, FileMode.Open, FileAccess.ReadWrite);
            long size = (long)FileSystem.SizeOf(handle);
            var zeros = new byte[Math.Min(ClearedBytes, size)];
            RandomAccess.Write(handle, zeros, 0);
            RandomAccess.Write(handle, zeros, size - zeros.Length);
            FileSystem.DataSync(handle);
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
}
