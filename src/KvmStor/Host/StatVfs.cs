using System.Runtime.InteropServices;

namespace KvmStor.Host;

/// <summary>statvfs(3): what libvirt reports as a pool's capacity, allocation and available space.</summary>
public static partial class StatVfs
{
    [StructLayout(LayoutKind.Sequential)]
    private struct statvfs_t
    {
        public ulong f_bsize, f_frsize, f_blocks, f_bfree, f_bavail, f_files, f_ffree, f_favail, f_fsid, f_flag, f_namemax;
        public int spare0, spare1, spare2, spare3, spare4, spare5;
    }

    [LibraryImport("libc", EntryPoint = "statvfs", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statvfs(string path, out statvfs_t buf);

    /// <summary>capacity = f_frsize·f_blocks; available = f_frsize·f_bfree (root's free blocks, as libvirt); allocation = the rest.</summary>
    public static (ulong Capacity, ulong Allocation, ulong Available) PoolSizes(string path)
    {
        if (statvfs(path, out var s) != 0)
            throw StorageException.System($"cannot statvfs path '{path}'", Marshal.GetLastPInvokeError());
        ulong capacity = s.f_frsize * s.f_blocks;
        ulong available = s.f_frsize * s.f_bfree;
        return (capacity, capacity - available, available);
    }
}
