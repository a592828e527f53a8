using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using KvmStor.Backends;
using KvmStor.Host;
using KvmStor.Model;
using Microsoft.Win32.SafeHandles;

namespace KvmStor.State;

/// <summary>
/// The recorded formats of each pool's file volumes, one root-only file per pool (named by its UUID) under the
/// data directory: a line "inode birth-time format name" per volume (<see cref="VolumeFormatLines"/>). Kept on the
/// host, not in the volume or its directory, so it works on any file system (NFSv3 has no extended attributes) and
/// nobody who can write the pool can change it. Changes happen under an flock of the records' directory (no lock
/// file is left per pool). A new record is appended to the file as one line; a removal, a file with a torn last line
/// or one with too many superseded lines is replaced atomically by a rewritten file. Reads go through a
/// <see cref="VolumeFormatFileCache"/>, which relies on exactly these two ways of writing.
/// </summary>
public sealed class VolumeFormatStore(string directory) : IVolumeFormatRecords
{
    private readonly VolumeFormatFileCache _cache = new();

    public IReadOnlyDictionary<string, RecordedFormat> Read(PoolDefinition pool) => _cache.Read(RecordPath(pool)).Records;

    public void Update(PoolDefinition pool, IReadOnlyList<RecordChange> changes)
    {
        if (changes.Count == 0) return;
        EnsureDirectory();
        string path = RecordPath(pool);
        using var exclusive = FileLock.ExclusiveDirectory(directory);
        var current = _cache.Read(path); // under the lock: what every other writer left
        var records = new Dictionary<string, RecordedFormat>(current.Records, StringComparer.Ordinal);
        var added = new StringBuilder();
        int addedLines = 0;
        bool removed = false;
        foreach (var change in changes)
            switch (Apply(records, change))
            {
                case Effect.Recorded:
                    VolumeFormatLines.AppendLine(added, change.Name, records[change.Name]);
                    addedLines++;
                    break;
                case Effect.Removed:
                    removed = true;
                    break;
            }
        if (addedLines == 0 && !removed) return;
        if (records.Count == 0) AtomicFile.Delete(path);
        else if (removed || !current.Exists || !current.EndsWithNewline || IsMostlySuperseded(current.Lines + addedLines, records.Count))
            AtomicFile.Write(path, VolumeFormatLines.Format(records));
        else AppendDurably(path, added.ToString());
    }

    private enum Effect { None, Recorded, Removed }

    /// <summary>
    /// Judges a change against the records as they are now, so that concurrent commands cannot undo each other: a
    /// first sight never overwrites a record of the same file, a prune never removes a record made after the listing.
    /// </summary>
    private static Effect Apply(Dictionary<string, RecordedFormat> records, RecordChange change)
    {
        bool known = records.TryGetValue(change.Name, out var current);
        switch (change.Kind)
        {
            case RecordChangeKind.Set:
                records[change.Name] = change.Record;
                return !known || current != change.Record ? Effect.Recorded : Effect.None;
            case RecordChangeKind.FirstSight when !known || !current.SameFile(change.Record):
                records[change.Name] = change.Record;
                return Effect.Recorded;
            case RecordChangeKind.Remove when known:
            case RecordChangeKind.Prune when known && current == change.Record:
                return records.Remove(change.Name) ? Effect.Removed : Effect.None;
            default:
                return Effect.None;
        }
    }

    /// <summary>Appended lines that later ones replaced are dropped by a rewrite once they outnumber the live records.</summary>
    private static bool IsMostlySuperseded(int lines, int records) => lines > 2 * records + 64;

    /// <summary>
    /// Appends the new lines with one write and one fdatasync (which also makes the new size durable). The sync
    /// stays: a volume is reported made only once its record survives a crash, since a volume whose record was lost
    /// is probed again at its next sight, when a guest may already have written a header of its choosing into it. The
    /// directory needs no sync: the file's name became durable when it was made (<see cref="AtomicFile.Write"/>). A
    /// crash during the write leaves at worst a partial last line, which is never read as a record and makes the next
    /// change rewrite the file.
    /// </summary>
    private static void AppendDurably(string path, string lines)
    {
        int fd = Libc.open(path, Libc.O_WRONLY | Libc.O_APPEND | Libc.O_NOFOLLOW | Libc.O_CLOEXEC);
        if (fd < 0) throw StorageException.System($"cannot open volume format records '{path}'", Marshal.GetLastPInvokeError());
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        ReadOnlySpan<byte> bytes = Encoding.UTF8.GetBytes(lines);
        while (!bytes.IsEmpty)
        {
            nint written = Libc.write(fd, bytes, (nuint)bytes.Length);
            if (written < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Errno.EINTR) continue;
                throw StorageException.System($"cannot write volume format records '{path}'", errno);
            }
            bytes = bytes[(int)written..];
        }
        try { FileSystem.DataSync(handle); }
        catch (FileSystemException e) { throw StorageException.System($"cannot sync volume format records '{path}'", e.Errno); }
    }

    /// <summary>Forgets a pool's records (pool-delete, pool-undefine).</summary>
    public void Drop(PoolDefinition pool)
    {
        if (!Directory.Exists(directory)) return;
        using var exclusive = FileLock.ExclusiveDirectory(directory);
        string path = RecordPath(pool);
        AtomicFile.Delete(path);
        _cache.Forget(path);
    }

    private string RecordPath(PoolDefinition pool) =>
        Path.Combine(directory, pool.Uuid.ToString("D", CultureInfo.InvariantCulture) + ".formats");

    private void EnsureDirectory() => PrivateDirectory.Ensure(directory);
}
