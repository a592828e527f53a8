using System.Runtime.InteropServices;
using KvmStor.Backends;
using KvmStor.Host;
using KvmStor.Model;
using Microsoft.Win32.SafeHandles;

namespace KvmStor.State;

/// <summary>A pool's records as read at one moment; never changed once handed out.</summary>
internal sealed record VolumeFormatSnapshot(IReadOnlyDictionary<string, RecordedFormat> Records, int Lines, bool Exists, bool EndsWithNewline)
{
    public static VolumeFormatSnapshot Missing { get; } =
        new(new Dictionary<string, RecordedFormat>(StringComparer.Ordinal), 0, Exists: false, EndsWithNewline: true);
}

/// <summary>
/// This process's parsed copy of each pool's format-record file, so that looking up one volume does not read and
/// parse the records of every volume in the pool (the server answers one call per volume, thousands per listing).
/// Every read still asks the file system (one statx of the path) whether the file changed, since another process
/// (the CLI, another server) may change it at any time. That check is exact because of how
/// <see cref="VolumeFormatStore"/> writes: a record file is only ever appended to, and every other change replaces it
/// with a new file by rename. The cached file is kept open, so its inode cannot be freed and handed to a
/// replacement: the same device and inode at the path is the same file, whose bytes up to the size already read are
/// unchanged; only what was appended since is read.
/// </summary>
internal sealed class VolumeFormatFileCache
{
    /// <summary>Open record files kept at most (one per pool in use); beyond it the cache starts again.</summary>
    private const int MaxFiles = 256;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, CachedFile> _files = new(StringComparer.Ordinal);

    public VolumeFormatSnapshot Read(string path)
    {
        lock (_gate)
        {
            if (!FileSystem.TryStat(path, followLinks: false, out var status, out int errno))
            {
                Drop(path);
                if (errno is Errno.ENOENT or Errno.ENOTDIR) return VolumeFormatSnapshot.Missing;
                throw StorageException.System($"cannot read volume format records '{path}'", errno);
            }
            if (_files.TryGetValue(path, out var cached) && cached.Identity == status.Identity && (long)status.Size >= cached.Size)
            {
                if ((long)status.Size > cached.Size) cached.ReadAppended();
                return cached.Snapshot;
            }
            Drop(path);
            if (CachedFile.Open(path) is not { } file) return VolumeFormatSnapshot.Missing; // removed since the statx
            if (_files.Count >= MaxFiles) DropAll();
            _files[path] = file;
            return file.Snapshot;
        }
    }

    /// <summary>Drops a file from the cache (its pool's records were deleted).</summary>
    public void Forget(string path)
    {
        lock (_gate) Drop(path);
    }

    private void Drop(string path)
    {
        if (_files.Remove(path, out var file)) file.Dispose();
    }

    private void DropAll()
    {
        foreach (var file in _files.Values) file.Dispose();
        _files.Clear();
    }

    /// <summary>One open record file and what has been parsed of it.</summary>
    private sealed class CachedFile(SafeFileHandle handle, FileIdentity identity) : IDisposable
    {
        public FileIdentity Identity { get; } = identity;
        /// <summary>Bytes of the file looked at so far.</summary>
        public long Size { get; private set; }
        /// <summary>Bytes parsed so far: up to the last complete line (a line being appended is read again later).</summary>
        private long _consumed;
        public VolumeFormatSnapshot Snapshot { get; private set; } = VolumeFormatSnapshot.Missing;

        public static CachedFile? Open(string path)
        {
            int fd = Libc.open(path, Libc.O_RDONLY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC);
            if (fd < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno is Errno.ENOENT or Errno.ENOTDIR) return null;
                throw StorageException.System($"cannot read volume format records '{path}'", errno);
            }
            var handle = new SafeFileHandle(fd, ownsHandle: true);
            try
            {
                var status = FileSystem.Stat(handle);
                if (status.Kind != FileKind.Regular)
                    throw StorageException.Internal($"volume format records '{path}' are not a regular file");
                var file = new CachedFile(handle, status.Identity);
                file.ReadAppended();
                return file;
            }
            catch
            {
                handle.Dispose();
                throw;
            }
        }

        /// <summary>Reads from the end of the last complete line to the end of the file and adds what it holds.</summary>
        public void ReadAppended()
        {
            byte[] bytes = ReadToEnd(_consumed);
            var records = new Dictionary<string, RecordedFormat>(Snapshot.Records, StringComparer.Ordinal);
            var (consumed, lines) = VolumeFormatLines.ApplyComplete(bytes, records);
            _consumed += consumed;
            Size = _consumed + (bytes.Length - consumed);
            Snapshot = new VolumeFormatSnapshot(records, Snapshot.Lines + lines, Exists: true, EndsWithNewline: consumed == bytes.Length);
        }

        private byte[] ReadToEnd(long offset)
        {
            using var buffer = new MemoryStream();
            var chunk = new byte[64 * 1024];
            int read;
            while ((read = RandomAccess.Read(handle, chunk, offset + buffer.Length)) > 0)
                buffer.Write(chunk, 0, read);
            return buffer.ToArray();
        }

        public void Dispose() => handle.Dispose();
    }
}
