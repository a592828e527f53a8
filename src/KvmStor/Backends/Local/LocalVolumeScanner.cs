using KvmStor.Host;
using KvmStor.Images;
using KvmStor.Model;

namespace KvmStor.Backends.Local;

/// <summary>
/// Lists the entries of a pool directory as volumes, as libvirt's refresh does, but without trusting them: each
/// entry is looked at with lstat relative to the directory handle; only regular files, block devices and
/// directories are opened (without following links, without blocking) and checked to be what was looked at.
/// FIFOs, sockets, character devices, dangling links, names with control characters and build areas are skipped
/// without being opened. A link root owns is followed; a link anyone else owns is listed as it is (so the user sees
/// it) and never opened. A file's format is the one recorded for it; a file seen for the first time is probed and
/// its format recorded, so what a guest later writes into a raw volume never changes what kvmstor takes it for.
/// </summary>
public static class LocalVolumeScanner
{
    public static IReadOnlyList<VolumeDefinition> Scan(PoolDirectory directory, IVolumeFormatRecords records, PoolDefinition pool)
    {
        // Records first, names second: a record made after this read is never pruned by this listing.
        var recorded = records.Read(pool);
        var names = directory.Handle.Names();
        VolumeBuildArea.RemoveStale(directory, names);
        var changes = new List<RecordChange>();
        var volumes = new List<VolumeDefinition>();
        var present = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (!LocalVolumeNames.IsListable(name)) continue;
            present.Add(name);
            if (Look(directory, name) is { } probed) volumes.Add(Recorded(probed, name, recorded, changes));
        }
        // Records of files that are gone (deleted outside kvmstor): a file made later under the name is a new file.
        foreach (var (name, record) in recorded)
            if (!present.Contains(name)) changes.Add(new RecordChange(name, RecordChangeKind.Prune, record));
        records.Update(pool, changes);
        return volumes;
    }

    /// <summary>Looks at just one entry; null when it does not exist or a listing would skip it.</summary>
    public static VolumeDefinition? Find(PoolDirectory directory, IVolumeFormatRecords records, PoolDefinition pool, string name)
    {
        if (!LocalVolumeNames.IsListable(name) || Look(directory, name) is not { } probed) return null;
        var changes = new List<RecordChange>();
        var volume = Recorded(probed, name, records.Read(pool), changes);
        records.Update(pool, changes);
        return volume;
    }

    /// <summary>The recorded format wins over the header; a first sight records what the header says.</summary>
    private static VolumeDefinition Recorded(ProbedFile probed, string name, IReadOnlyDictionary<string, RecordedFormat> recorded,
        List<RecordChange> changes)
    {
        if (probed.Type is VolumeType.Dir or VolumeType.Ploop || probed.Status.Kind == FileKind.SymbolicLink)
            return probed.ToVolume(name);
        if (recorded.TryGetValue(name, out var record) && record.IsOf(probed.Status))
            return probed.WithRecordedFormat(record.Format).ToVolume(name);
        changes.Add(new RecordChange(name, RecordChangeKind.FirstSight, RecordedFormat.Of(probed.Status, probed.Format)));
        return probed.ToVolume(name);
    }

    /// <summary>One entry as a probed file, or null when a listing skips it.</summary>
    internal static ProbedFile? Look(PoolDirectory directory, string name)
    {
        var handle = directory.Handle;
        if (!handle.TryStatEntry(name, out var entry, out _)) return null;
        string path = directory.PathOf(name);
        bool link = entry.Kind == FileKind.SymbolicLink;
        if (link && !PoolDirectory.IsTrustedOwner(entry.Owner)) return UntrustedLink(path, entry);
        var target = entry;
        if (link && !handle.TryStatEntryFollowing(name, out target, out _)) return null; // dangling
        try
        {
            switch (target.Kind)
            {
                case FileKind.Directory:
                    using (var sub = link ? DirectoryHandle.Open(path) : handle.OpenDirectory(name))
                    {
                        var status = sub.Status();
                        return status.Identity == target.Identity ? VolumeFileProbe.ProbeDirectory(sub, status, path) : null;
                    }
                case FileKind.Regular or FileKind.BlockDevice:
                    using (var file = handle.OpenEntry(name, FileAccess.Read, followLink: link))
                    {
                        var status = FileSystem.Stat(file);
                        // Swapped between the look and the open (a FIFO, another file): skip it this time.
                        return status.Identity == target.Identity ? VolumeFileProbe.ProbeOpenFile(file, status, path) : null;
                    }
                default:
                    return null; // FIFOs, sockets, character devices: never opened
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>A link kvmstor will not follow, shown as itself: an empty raw file with the link's owner and times.</summary>
    private static ProbedFile UntrustedLink(string path, FileSystemStatus link) => new()
    {
        Path = path, Type = VolumeType.File, Status = link, Image = ImageProbe.Raw,
        Capacity = 0, Allocation = 0, Physical = 0,
    };
}
