using System.Globalization;

namespace KvmStor.Host;

/// <summary>A process that has a file or block device open.</summary>
public sealed record OpenFileHolder(int Pid, string Command);

/// <summary>
/// Finds the processes that have a volume open (a qemu guest started by libvirt or by hand, a dd, a backup job) by
/// looking through /proc/PID/fd, so kvmstor can refuse to delete or overwrite a volume in use. Files match by file
/// system and inode, block devices by device number, whatever name the other process opened them by. The tools
/// kvmstor itself runs (parted opens every partition of the disk it changes, qemu-img its images) are not users: they
/// work under kvmstor's own locks, so a process whose parent is this one or runs the same executable does not count.
/// </summary>
public static class OpenFileHolders
{
    public static IReadOnlyList<OpenFileHolder> Find(string path, string procRoot = "/proc")
    {
        if (!FileSystem.TryStat(path, followLinks: true, out var target, out _)) return [];
        if (target.Kind is not (FileKind.Regular or FileKind.BlockDevice)) return [];
        var holders = new List<OpenFileHolder>();
        IEnumerable<string> processes;
        try { processes = Directory.EnumerateDirectories(procRoot).ToList(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return []; }
        foreach (string processDir in processes)
        {
            if (!int.TryParse(Path.GetFileName(processDir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) continue;
            if (pid == Environment.ProcessId) continue;
            if (!HoldsOpen(Path.Combine(processDir, "fd"), target)) continue;
            // A process that ended while it was looked at (a tool of this process finishing: parted during parallel
            // deletes) holds nothing any more, and its parent can no longer be told.
            if (ParentOf(processDir) is not { } parent || CommandOf(processDir) is not { } command) continue;
            if (!IsKvmstorsTool(parent, procRoot)) holders.Add(new OpenFileHolder(pid, command));
        }
        return holders;
    }

    /// <summary>Whether the process was started by this kvmstor process or by another one (the same executable).</summary>
    private static bool IsKvmstorsTool(int parent, string procRoot)
    {
        if (parent == Environment.ProcessId) return true;
        return FileSystem.TryStat(Path.Combine(procRoot, parent.ToString(CultureInfo.InvariantCulture), "exe"), followLinks: true, out var parentExe, out _)
            && FileSystem.TryStat(Path.Combine(procRoot, "self", "exe"), followLinks: true, out var ownExe, out _)
            && parentExe.IsSameFileAs(ownExe);
    }

    /// <summary>The parent pid from /proc/PID/stat ("pid (comm) state ppid …"; comm may hold spaces and parentheses).</summary>
    private static int? ParentOf(string processDir)
    {
        try
        {
            string stat = File.ReadAllText(Path.Combine(processDir, "stat"));
            string[] fields = stat[(stat.LastIndexOf(')') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return fields.Length > 1 && int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out int ppid) ? ppid : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    private static bool HoldsOpen(string fdDir, FileSystemStatus target)
    {
        IEnumerable<string> fds;
        try { fds = Directory.EnumerateFileSystemEntries(fdDir).ToList(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; } // gone, or not ours to see
        foreach (string fd in fds)
        {
            // stat through the fd link reaches the open file itself, even a deleted or renamed one.
            if (!FileSystem.TryStat(fd, followLinks: true, out var open, out _)) continue;
            if (open.IsSameFileAs(target)) return true;
        }
        return false;
    }

    /// <summary>The process's command name; null when it is gone.</summary>
    private static string? CommandOf(string processDir)
    {
        try { return File.ReadAllText(Path.Combine(processDir, "comm")).Trim(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }
}
