using System.Text;

namespace KvmStor.Host;

/// <summary>
/// Replaces a file so that a crash at any point leaves either the old content or the new, never a torn file:
/// write a temporary file beside it, fsync, rename over, fsync the directory.
/// </summary>
public static class AtomicFile
{
    public static void Write(string path, string content, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite) =>
        Write(path, content, mode, durable: true);

    /// <summary>
    /// As <see cref="Write(string, string, UnixFileMode)"/> but without the directory's fsync: a crash leaves the old
    /// content or the new, whole, but may lose the replacement. For content whose loss costs nothing but staleness.
    /// </summary>
    public static void WriteLosable(string path, string content, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite) =>
        Write(path, content, mode, durable: false);

    private static void Write(string path, string content, UnixFileMode mode, bool durable)
    {
        string dir = Path.GetDirectoryName(path)!;
        string temp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.Create,
                Access = FileAccess.Write,
                UnixCreateMode = mode,
            };
            using (var stream = new FileStream(temp, options))
            {
                stream.Write(Encoding.UTF8.GetBytes(content));
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
            if (durable) Libc.FsyncDirectory(dir);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Removes a file durably; a missing file is not an error.</summary>
    public static void Delete(string path)
    {
        if (!File.Exists(path) && !IsSymlink(path)) return;
        File.Delete(path);
        Libc.FsyncDirectory(Path.GetDirectoryName(path)!);
    }

    /// <summary>fsyncs a directory so that a rename inside it survives a crash.</summary>
    public static void SyncDirectory(string directory) => Libc.FsyncDirectory(directory);

    internal static bool IsSymlink(string path)
    {
        try { return new FileInfo(path).LinkTarget is not null; }
        catch (IOException) { return false; }
    }
}
