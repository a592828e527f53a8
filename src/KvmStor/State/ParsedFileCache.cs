using System.Runtime.InteropServices;
using System.Text;
using KvmStor.Host;
using KvmStor.Model;
using Microsoft.Win32.SafeHandles;

namespace KvmStor.State;

/// <summary>
/// What a small state file (a pool's config or status XML) parsed to, kept by this process so that a server answering
/// one call per volume does not read and parse the pool's files again for each call. Every lookup still asks the file
/// system (one statx of the path): another process changes these files whenever it likes. A cached result is used
/// only while the path names the very file that was parsed, with the same size and change times; kvmstor replaces
/// these files by rename (a new inode) and the cached file is kept open, so its inode cannot be freed and handed to a
/// later file under the same name. An edit in place (an administrator's) changes the change time: on Linux 6.13 and
/// later always (a time that was looked at is never handed out again), before that unless the edit keeps the size and
/// falls in the same clock tick as the look.
/// </summary>
internal sealed class ParsedFileCache<T> where T : class
{
    /// <summary>Open files kept at most (two per pool in use); beyond it the cache starts again.</summary>
    private const int MaxFiles = 512;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    private sealed record Entry(SafeFileHandle Handle, Version Version, T? Value);

    /// <summary>What tells one content of a file from another (the inode is pinned by the open handle).</summary>
    private readonly record struct Version(FileIdentity Identity, ulong Size, FileTimestamp Modified, FileTimestamp Changed)
    {
        public static Version Of(FileSystemStatus status) => new(status.Identity, status.Size, status.Modified, status.Changed);
    }

    /// <summary>
    /// The parsed file at <paramref name="path"/> (following links, as reading it would), or null when it does not
    /// exist; <paramref name="parse"/> runs only when the file is new or changed. Other failures are the caller's:
    /// <paramref name="fallback"/> reads the file as it would without a cache.
    /// </summary>
    public T? Get(string path, Func<string, T?> parse, Func<T?> fallback)
    {
        if (!FileSystem.TryStat(path, followLinks: true, out var status, out int errno))
        {
            Forget(path);
            return errno is Errno.ENOENT or Errno.ENOTDIR ? null : fallback();
        }
        lock (_gate)
        {
            if (_entries.TryGetValue(path, out var cached) && cached.Version == Version.Of(status)) return cached.Value;
        }
        if (Read(path) is not var (handle, version, text)) return fallback();
        var entry = new Entry(handle, version, parse(text));
        lock (_gate)
        {
            if (_entries.Count >= MaxFiles) Clear();
            if (_entries.Remove(path, out var old)) old.Handle.Dispose();
            _entries[path] = entry;
        }
        return entry.Value;
    }

    public void Forget(string path)
    {
        lock (_gate)
        {
            if (_entries.Remove(path, out var old)) old.Handle.Dispose();
        }
    }

    private void Clear()
    {
        foreach (var entry in _entries.Values) entry.Handle.Dispose();
        _entries.Clear();
    }

    /// <summary>Opens and reads the file; its version is taken before the read, so a change during it is seen next time.</summary>
    private static (SafeFileHandle, Version, string)? Read(string path)
    {
        int fd = Libc.open(path, Libc.O_RDONLY | Libc.O_CLOEXEC);
        if (fd < 0) return null;
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            var status = FileSystem.Stat(handle);
            if (status.Kind != FileKind.Regular) throw new IOException("not a regular file");
            using var buffer = new MemoryStream();
            var chunk = new byte[(int)Math.Clamp(status.Size + 1, 512, 1 << 20)];
            int read;
            while ((read = RandomAccess.Read(handle, chunk, buffer.Length)) > 0) buffer.Write(chunk, 0, read);
            buffer.Position = 0;
            using var text = new StreamReader(buffer, Encoding.UTF8, detectEncodingFromByteOrderMarks: true); // as File.ReadAllText
            return (handle, Version.Of(status), text.ReadToEnd());
        }
        catch (IOException)
        {
            handle.Dispose();
            return null;
        }
    }
}
