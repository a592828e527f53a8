using System.Globalization;

namespace KvmStor.Host;

/// <summary>A process that has a file or block device open.</summary>
public sealed record OpenFileHolder(int Pid, string Command);

/// <summary>
/// Finds the processes that have a volume open (a qemu guest started by libvirt or by hand, a dd, a backup job) by
/// looking through /proc/PID/fd, so kvmstor can refuse to delete or overwrite a volume in use. Files match by file
/// system and inode, block devices by device number, whatever name the other process opened them by.
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
            if (HoldsOpen(Path.Combine(processDir, "fd"), target)) holders.Add(new OpenFileHolder(pid, CommandOf(processDir)));
        }
        return holders;
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

    private static string CommandOf(string processDir)
    {
        try { return File.ReadAllText(Path.Combine(processDir, "comm")).Trim(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return "?"; }
    }
}
