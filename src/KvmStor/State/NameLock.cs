using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using KvmStor.Host;

namespace KvmStor.State;

/// <summary>A name to lock, shared (readers) or exclusive (a writer).</summary>
public readonly record struct NameLockRequest(string Name, bool Exclusive);

/// <summary>
/// Locks on names (pools, volumes) without a file per name: all names of a kind share one lock file, and each name is
/// one byte of it, at an offset taken from SHA-256 of the name (62 bits, so two names meet by chance with negligible
/// probability). The byte is locked with an open-file-description lock (fcntl F_OFD_SETLKW: shared = read lock,
/// exclusive = write lock), released on Dispose or when the process dies. Nothing is created per name, so nothing
/// is left behind for names that never became pools or volumes, and nothing ever has to be deleted (deleting a lock
/// file others wait on would split the lock).
/// </summary>
/// <remarks>
/// OFD locks belong to the open file description, not the process: two acquisitions in one process conflict as two
/// processes would, so an operation that needs the same name twice (a clone of a volume onto its own name) would wait
/// on itself for ever. One acquisition may therefore hold several names on one description, de-duplicated by offset
/// with the stronger mode kept (on one description a second lock on a byte replaces the first: shared after
/// exclusive would silently downgrade it). Offsets are taken in ascending order, so two processes locking
/// overlapping sets cannot deadlock.
/// </remarks>
public sealed class NameLock : IDisposable
{
    private const int F_OFD_SETLKW = 38;
    private const short F_RDLCK = 0, F_WRLCK = 1, SEEK_SET = 0;

    private int _fd;

    private NameLock(int fd) => _fd = fd;

    public static NameLock Exclusive(string lockFile, string name) => Acquire(lockFile, [new(name, true)]);
    public static NameLock Shared(string lockFile, string name) => Acquire(lockFile, [new(name, false)]);

    /// <summary>Locks every name of <paramref name="names"/> in <paramref name="lockFile"/> (created 0600 if need be).</summary>
    public static NameLock Acquire(string lockFile, IEnumerable<NameLockRequest> names)
    {
        var byOffset = new SortedDictionary<long, bool>();
        foreach (var request in names)
        {
            long offset = OffsetOf(request.Name);
            byOffset[offset] = request.Exclusive || byOffset.GetValueOrDefault(offset);
        }

        int fd = Open(lockFile);
        if (fd < 0 && Marshal.GetLastPInvokeError() == Errno.ENOENT)
        {
            // Its directory is made only when missing: a lock is taken on every server call, and a mkdir and stat
            // before each open were a fifth of a small call's system calls.
            Directory.CreateDirectory(Path.GetDirectoryName(lockFile)!);
            fd = Open(lockFile);
        }
        if (fd < 0) throw StorageException.System($"cannot open lock file '{lockFile}'", Marshal.GetLastPInvokeError());
        try
        {
            foreach (var (offset, exclusive) in byOffset) LockByte(fd, offset, exclusive, lockFile);
        }
        catch
        {
            Libc.close(fd);
            throw;
        }
        return new NameLock(fd);
    }

    private static int Open(string lockFile) => Libc.open(lockFile, Libc.O_RDWR | Libc.O_CREAT | Libc.O_CLOEXEC, 0b110_000_000);

    /// <summary>The byte that stands for <paramref name="name"/>: the first 62 bits of its SHA-256, below 2^62 so that
    /// offset + 1 never approaches the largest file offset.</summary>
    public static long OffsetOf(string name)
    {
        Span<byte> digest = stackalloc byte[Sha256Digest.Size];
        Sha256Digest.Hash(Encoding.UTF8.GetBytes(name), digest);
        return (long)(BinaryPrimitives.ReadUInt64BigEndian(digest) >> 2);
    }

    private static unsafe void LockByte(int fd, long offset, bool exclusive, string lockFile)
    {
        // struct flock on 64-bit Linux: l_type, l_whence (short), padding, l_start, l_len (off_t), l_pid (must be 0).
        var flock = new Flock { Type = exclusive ? F_WRLCK : F_RDLCK, Whence = SEEK_SET, Start = offset, Length = 1 };
        while (Libc.fcntl(fd, F_OFD_SETLKW, &flock) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.EINTR) continue;
            throw StorageException.System($"cannot lock '{lockFile}'", errno);
        }
    }

    public void Dispose()
    {
        if (_fd >= 0) Libc.close(_fd);
        _fd = -1;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Flock
    {
        public short Type;
        public short Whence;
        public long Start;
        public long Length;
        public int Pid;
    }
}
