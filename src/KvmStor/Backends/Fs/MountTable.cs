using System.Text;
using KvmStor.Host;

namespace KvmStor.Backends.Fs;

/// <summary>One line of the kernel's mount table: what is mounted (fsname), where, as which type, with which options.</summary>
public sealed record MountEntry(string Source, string MountPoint, string FileSystemType, string Options);

/// <summary>
/// The mount table (/proc/self/mounts, or a given file in tests), with the path comparison libvirt's fs backend
/// uses to decide whether a pool is mounted.
/// </summary>
public sealed class MountTable
{
    public const string DefaultPath = "/proc/self/mounts";

    public IReadOnlyList<MountEntry> Entries { get; }

    private MountTable(IReadOnlyList<MountEntry> entries) => Entries = entries;

    /// <summary>Reads the table; an unreadable table fails with libvirt's "cannot read mount list" system error.</summary>
    public static MountTable Read(string path = DefaultPath)
    {
        try
        {
            return Parse(File.ReadAllText(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw StorageException.System($"cannot read mount list '{path}'", Errno.FromException(e));
        }
    }

    /// <summary>Parses fstab-format text; fields are whitespace separated and the kernel writes space, tab, newline and backslash as octal escapes.</summary>
    public static MountTable Parse(string text)
    {
        var entries = new List<MountEntry>();
        foreach (var line in text.Split('\n'))
        {
            string trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed.StartsWith('#')) continue;
            var fields = trimmed.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2) continue;
            entries.Add(new MountEntry(
                Unescape(fields[0]), Unescape(fields[1]),
                fields.Length > 2 ? Unescape(fields[2]) : "",
                fields.Length > 3 ? Unescape(fields[3]) : ""));
        }
        return new MountTable(entries);
    }

    /// <summary>Whether <paramref name="source"/> is mounted on <paramref name="mountPoint"/> (both compared as libvirt compares them).</summary>
    /// <remarks>
    /// Exact matches first, without a system call: resolving links stats the mount point, and the mount point of a
    /// network filesystem whose server died blocks every stat (pool-destroy must still be able to unmount it).
    /// </remarks>
    public bool IsMounted(string source, string mountPoint) =>
        Entries.Any(e => e.MountPoint == mountPoint && e.Source == source) ||
        Entries.Any(e => SamePath(e.MountPoint, mountPoint) && SamePath(e.Source, source));

    /// <summary>Where a block device is mounted, if anywhere (symlinks such as /dev/disk/by-id/… fully resolved on both sides).</summary>
    public MountEntry? FindDevice(string device)
    {
        string wanted = Canonical(device);
        return Entries.FirstOrDefault(e => e.Source.StartsWith('/') && Canonical(e.Source) == wanted);
    }

    /// <summary>
    /// libvirt's path comparison: a path that is itself a symbolic link is replaced by its canonical target, any
    /// other path (including names like "proc" or "host:/dir" that are no path at all) is compared as written.
    /// </summary>
    public static bool SamePath(string a, string b) => string.Equals(ResolveIfLink(a), ResolveIfLink(b), StringComparison.Ordinal);

    private static string ResolveIfLink(string path)
    {
        if (!FileSystem.TryStat(path, followLinks: false, out var st, out _) || st.Kind != FileKind.SymbolicLink) return path;
        return Canonical(path);
    }

    private static string Canonical(string path)
    {
        try
        {
            var target = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true);
            return target is null ? Path.GetFullPath(path) : Path.GetFullPath(target.FullName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return path;
        }
    }

    /// <summary>Undoes the kernel's octal escapes of a mount table field (also used for /proc/self/mountinfo).</summary>
    internal static string Unescape(string field)
    {
        if (!field.Contains('\\')) return field;
        var sb = new StringBuilder(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && IsOctal(field, i + 1))
            {
                sb.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else sb.Append(field[i]);
        }
        return sb.ToString();
    }

    private static bool IsOctal(string s, int at) =>
        at + 3 <= s.Length && s[at] is >= '0' and <= '3' && s[at + 1] is >= '0' and <= '7' && s[at + 2] is >= '0' and <= '7';
}
