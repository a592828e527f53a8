namespace KvmStor.Host;

/// <summary>
/// Whether two stat results are one file, whatever names, links or bind mounts led to them: regular files (and
/// other inodes) by file system and inode, block devices by device number (two nodes of one disk are one disk).
/// </summary>
public static class FileIdentity
{
    public static bool Same(FileSystemStatus a, FileSystemStatus b) =>
        a.Kind == FileKind.BlockDevice
            ? b.Kind == FileKind.BlockDevice && a.DeviceMajor == b.DeviceMajor && a.DeviceMinor == b.DeviceMinor
            : a.Kind == b.Kind && a.Inode == b.Inode
              && a.FileSystemMajor == b.FileSystemMajor && a.FileSystemMinor == b.FileSystemMinor;
}
