using KvmStor.Host;

namespace KvmStor.Engine;

/// <summary>The file a front-end downloads a volume into: what is done to it needs the host, so it lives here.</summary>
public static class DownloadDestination
{
    /// <summary>
    /// virsh's O_TRUNC, once the file is known not to be the volume; devices and pipes have nothing to truncate.
    /// Failures are <see cref="IOException"/>s.
    /// </summary>
    public static void TruncateIfRegularFile(FileStream destination)
    {
        if (FileSystem.Stat(destination.SafeFileHandle).Kind == FileKind.Regular) destination.SetLength(0);
    }
}
