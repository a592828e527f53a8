namespace KvmStor.Images;

/// <summary>The default readability check for a backing store (libvirt uses access(R_OK)).</summary>
public static class QemuImgBackingCheck
{
    public static int Readable(string path)
    {
        try
        {
            if (Directory.Exists(path)) return 0;
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Errno.FromException(e);
        }
    }
}
