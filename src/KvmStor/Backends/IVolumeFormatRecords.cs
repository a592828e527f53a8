using KvmStor.Model;

namespace KvmStor.Backends;

/// <summary>
/// The format kvmstor recorded for one file of a pool, and which file it was recorded for: its inode and, where the
/// file system keeps one, its birth time in nanoseconds (0: unknown), so a new file that reuses a deleted file's
/// inode number is not taken for it.
/// </summary>
public readonly record struct RecordedFormat(ulong Inode, string Format, long Born = 0)
{
    public static RecordedFormat Of(Host.FileSystemStatus file, string format) => new(file.Inode, format, BornOf(file));

    public bool IsOf(Host.FileSystemStatus file) => SameFile(new RecordedFormat(file.Inode, Format, BornOf(file)));

    public bool SameFile(RecordedFormat other) => Inode == other.Inode && (Born == 0 || other.Born == 0 || Born == other.Born);

    private static long BornOf(Host.FileSystemStatus file) =>
        file.Born is { } born ? born.Seconds * 1_000_000_000 + born.Nanoseconds : 0;
}

public enum RecordChangeKind
{
    /// <summary>kvmstor made (or rebuilt) the volume: its format is what it was made as.</summary>
    Set,
    /// <summary>A file seen for the first time: recorded unless a record for the same inode appeared meanwhile.</summary>
    FirstSight,
    /// <summary>The volume was deleted.</summary>
    Remove,
    /// <summary>A listing found the file gone: removed only if the record is still the one the listing read.</summary>
    Prune,
}

/// <summary>One change to a pool's records; applied under the store's lock against what is recorded then.</summary>
public readonly record struct RecordChange(string Name, RecordChangeKind Kind, RecordedFormat Record = default);

/// <summary>
/// Volume formats as recorded facts, kept outside the volumes' own bytes: the format a volume was created with, or
/// the one probed the first time kvmstor saw a file it did not make. A raw volume stays raw whatever a guest writes
/// into it, because its header is never asked again.
/// </summary>
public interface IVolumeFormatRecords
{
    /// <summary>Every record of the pool, by volume name.</summary>
    IReadOnlyDictionary<string, RecordedFormat> Read(PoolDefinition pool);

    /// <summary>Applies changes in one locked read-modify-write, each judged against the records as they are then.</summary>
    void Update(PoolDefinition pool, IReadOnlyList<RecordChange> changes);
}

/// <summary>Backends whose volumes are files take the records through the registry (the host plugs its store in).</summary>
public interface IUsesVolumeFormatRecords
{
    IVolumeFormatRecords FormatRecords { set; }
}

/// <summary>
/// Lets backends be built before the store exists: the registry hands this to them and the host sets
/// <see cref="Target"/>. Without a target nothing is remembered and every file is seen for the first time.
/// </summary>
public sealed class VolumeFormatRecordsBridge : IVolumeFormatRecords
{
    public IVolumeFormatRecords? Target { get; set; }

    public IReadOnlyDictionary<string, RecordedFormat> Read(PoolDefinition pool) =>
        Target?.Read(pool) ?? new Dictionary<string, RecordedFormat>();

    public void Update(PoolDefinition pool, IReadOnlyList<RecordChange> changes) => Target?.Update(pool, changes);
}
