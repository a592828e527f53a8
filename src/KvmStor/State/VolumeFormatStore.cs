using System.Globalization;
using System.Text;
using KvmStor.Backends;
using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.State;

/// <summary>
/// The recorded formats of each pool's file volumes, one root-only file per pool (named by its UUID) under the
/// data directory: a line "inode birth-time format name" per volume. Kept on the host, not in the volume or its directory,
/// so it works on any file system (NFSv3 has no extended attributes) and nobody who can write the pool can
/// change it. Read-modify-write happens under an flock of the records' directory (no lock file is left per pool),
/// and the file is replaced atomically.
/// </summary>
public sealed class VolumeFormatStore(string directory) : IVolumeFormatRecords
{
    public IReadOnlyDictionary<string, RecordedFormat> Read(PoolDefinition pool) => Parse(RecordPath(pool));

    public void Update(PoolDefinition pool, IReadOnlyList<RecordChange> changes)
    {
        if (changes.Count == 0) return;
        EnsureDirectory();
        string path = RecordPath(pool);
        using var exclusive = FileLock.ExclusiveDirectory(directory);
        var records = Parse(path);
        bool changed = false;
        foreach (var change in changes)
            changed |= Apply(records, change);
        if (!changed) return;
        if (records.Count == 0) AtomicFile.Delete(path);
        else AtomicFile.Write(path, Format(records));
    }

    /// <summary>
    /// Judges a change against the records as they are now, so that concurrent commands cannot undo each other: a
    /// first sight never overwrites a record of the same file, a prune never removes a record made after the listing.
    /// </summary>
    private static bool Apply(Dictionary<string, RecordedFormat> records, RecordChange change)
    {
        bool known = records.TryGetValue(change.Name, out var current);
        switch (change.Kind)
        {
            case RecordChangeKind.Set:
                records[change.Name] = change.Record;
                return !known || current != change.Record;
            case RecordChangeKind.FirstSight when !known || !current.SameFile(change.Record):
                records[change.Name] = change.Record;
                return true;
            case RecordChangeKind.Remove when known:
            case RecordChangeKind.Prune when known && current == change.Record:
                return records.Remove(change.Name);
            default:
                return false;
        }
    }

    /// <summary>Forgets a pool's records (pool-delete, pool-undefine).</summary>
    public void Drop(PoolDefinition pool)
    {
        if (!Directory.Exists(directory)) return;
        using var exclusive = FileLock.ExclusiveDirectory(directory);
        AtomicFile.Delete(RecordPath(pool));
    }

    private string RecordPath(PoolDefinition pool) =>
        Path.Combine(directory, pool.Uuid.ToString("D", CultureInfo.InvariantCulture) + ".formats");

    private void EnsureDirectory() => PrivateDirectory.Ensure(directory);

    private static Dictionary<string, RecordedFormat> Parse(string path)
    {
        var records = new Dictionary<string, RecordedFormat>(StringComparer.Ordinal);
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return records; }
        foreach (var line in text.Split('\n'))
        {
            // "inode born format name": the name comes last, so it may hold spaces (never a newline: such names are refused).
            string[] fields = line.Split(' ', 4);
            if (fields.Length == 4 && ulong.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out ulong inode)
                && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out long born))
                records[fields[3]] = new RecordedFormat(inode, fields[2], born);
        }
        return records;
    }

    private static string Format(Dictionary<string, RecordedFormat> records)
    {
        var text = new StringBuilder();
        foreach (var (name, recorded) in records.OrderBy(r => r.Key, StringComparer.Ordinal))
            text.Append(recorded.Inode.ToString(CultureInfo.InvariantCulture)).Append(' ')
                .Append(recorded.Born.ToString(CultureInfo.InvariantCulture)).Append(' ')
                .Append(recorded.Format).Append(' ').Append(name).Append('\n');
        return text.ToString();
    }
}
