using KvmStor.Host;
using Microsoft.Win32.SafeHandles;

namespace KvmStor.Backends.Logical;

/// <summary>The byte size of an open block device (its ioctl) or, for an image file standing in for one, the file's size.</summary>
internal static class DeviceSize
{
    public static long Of(SafeFileHandle handle)
    {
        var status = FileSystem.Stat(handle);
        return status.Kind == FileKind.BlockDevice ? (long)FileSystem.BlockDeviceSize(handle) : (long)status.Size;
    }
}
