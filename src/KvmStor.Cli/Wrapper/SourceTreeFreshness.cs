using System.Runtime.InteropServices;
using System.Text;
using KvmStor.Host;

namespace KvmStor.Cli.Wrapper;

/// <summary>
/// The up-to-date check of the ./kvmstor wrapper, made here because here it is cheap: a shell cannot read a ctime
/// without forking find or stat (the wrapper's find cost 12 ms a call), while this binary starts anyway and stats the
/// four hundred-odd build inputs in a millisecond or so (1.5–3 µs a statx on the development machine).
/// Only when the wrapper names its source tree (KVMSTOR_SOURCE_TREE); an installed binary never looks.
/// </summary>
/// <remarks>
/// scripts/source-stamp.sh lists the inputs in out/kvmstor.sources just before a build reads them. An input whose
/// ctime is later than that list's mtime changed after the build read it. ctime, because nothing can set it back: a
/// git checkout, cp -p or touch -d that leaves an older mtime still moves it; and every input is stated, because an
/// edit in place (an editor's truncate and write) moves nothing but that file's own times. A listed directory whose
/// ctime moved is read again, so an added, removed or renamed input counts while an editor's swap file does not.
/// The stats run beside start-up: in the NativeAOT binary on a thread its C constructor starts before the runtime
/// (<see cref="EarlySourceCheck"/>), which can only say "unchanged", this class deciding whatever else; otherwise on
/// a thread started first thing in Main (<see cref="SourceTreeCheck"/>, <see cref="InputPass"/>). The work is the
/// same, the wait is shorter when a core is free (README, "Benchmarks").
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
        // The native check has already taken the variable out of the environment (a change here would copy it all).
        if (EarlySourceCheck.TreeRoot() is { } early)
            return new SourceTreeCheck(early, args, ExecWrapperToRebuild, () => EarlySourceCheck.Current(early));
        string? root = Environment.GetEnvironmentVariable(TreeVariable);
        if (string.IsNullOrEmpty(root)) return null;
        Environment.SetEnvironmentVariable(TreeVariable, null); // not passed on to the programs kvmstor runs
        return new SourceTreeCheck(root, args, ExecWrapperToRebuild);
    }

    /// <summary>Whether every input listed at the last build is unchanged since, checked on the calling thread alone.</summary>
    public static bool IsCurrent(string root)
    {
        using var pass = InputPass.Open(root);
        if (pass is null) return false;
        pass.Run();
        return pass.Unchanged();
    }

    internal static bool Later(FileTimestamp a, FileTimestamp b) =>
        a.Seconds > b.Seconds || (a.Seconds == b.Seconds && a.Nanoseconds > b.Nanoseconds);

    /// <summary>Whether the directory's inputs now are those listed: each one listed, as many as listed.</summary>
    internal static bool SameInputs(string root, string directory, bool withDirectories, string[] suffixes, HashSet<string> listed)
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
