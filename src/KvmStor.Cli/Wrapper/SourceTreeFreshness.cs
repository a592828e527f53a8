using System.Runtime.InteropServices;
using System.Text;
using KvmStor.Host;

namespace KvmStor.Cli.Wrapper;

/// <summary>
/// The up-to-date check of the ./kvmstor wrapper, made here because here it is cheap: a shell cannot read a ctime
/// without forking find or stat (the wrapper's find cost 12 ms a call), while this binary starts anyway and stats the
/// four hundred-odd build inputs in well under a millisecond (about 1.4 µs a statx on the development machine).
/// Only when the wrapper names its source tree (KVMSTOR_SOURCE_TREE); an installed binary never looks.
/// </summary>
/// <remarks>
/// scripts/source-stamp.sh lists the inputs in out/kvmstor.sources just before a build reads them. An input whose
/// ctime is later than that list's mtime changed after the build read it. ctime, because nothing can set it back: a
/// git checkout, cp -p or touch -d that leaves an older mtime still moves it; and every input is stated, because an
/// edit in place (an editor's truncate and write) moves nothing but that file's own times. A listed directory whose
/// ctime moved is read again, so an added, removed or renamed input counts while an editor's swap file does not.
/// The stats run beside start-up (<see cref="SourceTreeCheck"/>), so that the wrapper adds about the cost of its sh
/// alone when a core is free: the work is the same, the wait is not.
/// Its own namespace (a layer of its own in the architecture test): it is the wrapper's launcher, not the front-end,
/// and reads ctimes through the host's stat, which the front-end's commands may not reach.
/// </remarks>
internal static partial class SourceTreeFreshness
{
    public const string TreeVariable = "KVMSTOR_SOURCE_TREE";
    public const string RebuildVariable = "KVMSTOR_REBUILD";
    public const string StampPath = "out/kvmstor.sources";

    /// <summary>
    /// Starts the check when the wrapper names its source tree (null otherwise); the caller must call
    /// <see cref="SourceTreeCheck.Finish"/> before anything it does can be seen outside the process.
    /// </summary>
    public static SourceTreeCheck? Start(string[] args)
    {
        string? root = Environment.GetEnvironmentVariable(TreeVariable);
        if (string.IsNullOrEmpty(root)) return null;
        Environment.SetEnvironmentVariable(TreeVariable, null); // not passed on to the programs kvmstor runs
        return new SourceTreeCheck(root, args, ExecWrapperToRebuild);
    }

    /// <summary>Whether every input listed at the last build is unchanged since.</summary>
    /// <remarks>
    /// This runs with every command the wrapper starts, so it allocates nothing per input: the list is read as bytes
    /// and each path is stated relative to the tree's open directory from a stack buffer (issue 15: at most 1 ms).
    /// </remarks>
    public static bool IsCurrent(string root)
    {
        byte[] stamp;
        FileTimestamp built;
        DirectoryHandle tree;
        try
        {
            using (var list = File.OpenHandle(Path.Combine(root, StampPath)))
            {
                built = FileSystem.Stat(list).Modified;
                long length = RandomAccess.GetLength(list);
                if (length > MaximumStampLength) return false;
                stamp = new byte[length];
                if (RandomAccess.Read(list, stamp, 0) != length) return false;
            }
            tree = DirectoryHandle.Open(root);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FileSystemException) { return false; }
        using (tree) return InputsUnchanged(root, tree, stamp, built);
    }

    private const int MaximumStampLength = 4 << 20;

    private static bool InputsUnchanged(string root, DirectoryHandle tree, ReadOnlySpan<byte> stamp, FileTimestamp built)
    {
        ReadOnlySpan<byte> header = "# suffixes "u8;
        int end = stamp.IndexOf((byte)'\n');
        if (end < 0 || !stamp.StartsWith(header)) return false;
        string[] suffixes = Encoding.UTF8.GetString(stamp[header.Length..end]).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Span<byte> path = stackalloc byte[PathBufferLength];
        HashSet<string>? listed = null;
        int inputs = 0;
        for (var rest = stamp[(end + 1)..]; !rest.IsEmpty; inputs++)
        {
            end = rest.IndexOf((byte)'\n');
            var line = end < 0 ? rest : rest[..end];
            rest = end < 0 ? default : rest[(end + 1)..];
            if (line.Length < 3 || line[1] != (byte)' ' || line.Length - 2 >= path.Length) return false;
            byte kind = line[0];
            var relative = line[2..];
            relative.CopyTo(path);
            path[relative.Length] = 0;
            if (!tree.TryGetChangeTime(path[..(relative.Length + 1)], out var changed)) return false;
            if (!Later(changed, built)) continue;
            if (kind == (byte)'f') return false;
            // A directory changed: only its entries matter, not its timestamps.
            listed ??= new HashSet<string>(Encoding.UTF8.GetString(stamp).Split('\n'), StringComparer.Ordinal);
            if (!SameInputs(root, Encoding.UTF8.GetString(relative), withDirectories: kind == (byte)'d', suffixes, listed)) return false;
        }
        return inputs > 0;
    }

    private const int PathBufferLength = 4096;

    private static bool Later(FileTimestamp a, FileTimestamp b) =>
        a.Seconds > b.Seconds || (a.Seconds == b.Seconds && a.Nanoseconds > b.Nanoseconds);

    /// <summary>Whether the directory's inputs now are those listed: each one listed, as many as listed.</summary>
    private static bool SameInputs(string root, string directory, bool withDirectories, string[] suffixes, HashSet<string> listed)
    {
        string prefix = directory == "." ? "" : directory + "/";
        int found = 0;
        try
        {
            foreach (var entry in new DirectoryInfo(Path.Combine(root, directory)).EnumerateFileSystemInfos())
            {
                string name = entry.Name;
                if (name.StartsWith('.')) continue;
                bool isDirectory = (entry.Attributes & FileAttributes.Directory) != 0;
                string line;
                if (isDirectory)
                {
                    if (!withDirectories || name is "bin" or "obj") continue;
                    line = "d " + prefix + name;
                }
                else
                {
                    if (!suffixes.Any(s => name.EndsWith(s, StringComparison.Ordinal))) continue;
                    line = "f " + prefix + name;
                }
                if (!listed.Contains(line)) return false;
                found++;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
        int expected = listed.Count(l => l.Length > 2 && (l[0] == 'f' || (withDirectories && l[0] == 'd')) && Parent(l[2..]) == directory);
        return found == expected;
    }

    private static string Parent(string path) => Path.GetDirectoryName(path) is { Length: > 0 } parent ? parent : ".";

    /// <summary>exec(2) of the wrapper with KVMSTOR_REBUILD=1: it builds, then runs the new binary with the same arguments.</summary>
    private static void ExecWrapperToRebuild(string root, string[] args)
    {
        string wrapper = Path.Combine(root, "kvmstor");
        string?[] argv = ["/bin/sh", wrapper, .. args, null];
        var environment = new List<string?>();
        foreach (System.Collections.DictionaryEntry variable in Environment.GetEnvironmentVariables())
            if ((string)variable.Key != RebuildVariable) environment.Add($"{variable.Key}={variable.Value}");
        environment.Add(RebuildVariable + "=1");
        environment.Add(null);
        execve("/bin/sh", argv, [.. environment]);
        Console.Error.WriteLine($"kvmstor: cannot run {wrapper} to rebuild: {Errno.Describe(Marshal.GetLastPInvokeError())}");
        Environment.Exit(1);
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int execve(string path, string?[] argv, string?[] envp);
}
