using System.Collections.Concurrent;
using KvmStor.Host;

namespace KvmStor.State;

/// <summary>
/// The runtime directory of a connection (/run/kvmstor/storage for the system): status files, markers, the event log
/// and the lock files, which together name pools, volumes and guests. It is kept 0700 (<see cref="PrivateDirectory"/>),
/// and the per-name lock files of earlier versions are removed on first use.
/// </summary>
internal static class RuntimeDirectory
{
    /// <summary>Where earlier versions kept &lt;pool&gt;.lock files and &lt;pool&gt;.lock.vol/&lt;volume&gt;.lock directories.</summary>
    public const string LegacyLockDirectory = "locks";

    private static readonly ConcurrentDictionary<string, bool> Cleaned = new(StringComparer.Ordinal);

    /// <summary>Creates or tightens <paramref name="path"/>; returns it.</summary>
    public static string Ensure(string path)
    {
        PrivateDirectory.Ensure(path);
        if (Cleaned.TryAdd(path, true)) RemoveLegacyLocks(path);
        return path;
    }

    /// <summary>
    /// Removes the legacy lock directory's own entries (files named *.lock, directories named *.lock.vol holding such
    /// files) and then the directory, entirely through directory descriptors opened without following links: unlinkat
    /// never follows a link, and nothing is deleted recursively by path. Anything else found there stays, and so does
    /// the directory then. Best effort: a failure only leaves files that no current version reads.
    /// </summary>
    private static void RemoveLegacyLocks(string runtimeDirectory)
    {
        using var runtime = DirectoryDescriptor.Open(Libc.openat(Libc.AT_FDCWD, runtimeDirectory, DirectoryFlags));
        if (runtime is null) return;
        using var locks = DirectoryDescriptor.Open(Libc.openat(runtime.Fd, LegacyLockDirectory, DirectoryFlags));
        if (locks is null) return;
        foreach (string name in locks.EntryNames())
        {
            if (name.EndsWith(".lock.vol", StringComparison.Ordinal))
            {
                using (var volumes = DirectoryDescriptor.Open(Libc.openat(locks.Fd, name, DirectoryFlags)))
                {
                    if (volumes is null) continue;
                    foreach (string volume in volumes.EntryNames())
                        if (volume.EndsWith(".lock", StringComparison.Ordinal)) Libc.unlinkat(volumes.Fd, volume, 0);
                }
                Libc.unlinkat(locks.Fd, name, Libc.AT_REMOVEDIR);
            }
            else if (name.EndsWith(".lock", StringComparison.Ordinal))
            {
                Libc.unlinkat(locks.Fd, name, 0);
            }
        }
        Libc.unlinkat(runtime.Fd, LegacyLockDirectory, Libc.AT_REMOVEDIR);
    }

    private const int DirectoryFlags = Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC;

    /// <summary>An open directory; its entries are listed through /proc/self/fd, i.e. the directory opened, not a path.</summary>
    private sealed class DirectoryDescriptor(int fd) : IDisposable
    {
        public int Fd { get; } = fd;

        public static DirectoryDescriptor? Open(int fd) => fd >= 0 ? new DirectoryDescriptor(fd) : null;

        public List<string> EntryNames()
        {
            try { return [.. Directory.EnumerateFileSystemEntries($"/proc/self/fd/{Fd}").Select(entry => Path.GetFileName(entry))]; }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return []; }
        }

        public void Dispose() => Libc.close(Fd);
    }
}
