using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace KvmStor.Cli.Wrapper;

/// <summary>
/// The part of the up-to-date check that the NativeAOT binary starts before the .NET runtime (early-source-check.c):
/// the stats of every listed input, on a thread of its own started on another CPU. It answers only "every input is
/// unchanged", possibly but for directories whose entries are then compared here; otherwise
/// <see cref="SourceTreeFreshness"/> checks again and decides. A build without it (the regular build, the tests) has
/// no such function, and the whole check runs in C#.
/// </summary>
internal static partial class EarlySourceCheck
{
    private const string Library = "kvmstor_early";

    /// <summary>
    /// The source tree the wrapper named, which the native part took out of the environment before the runtime started;
    /// null when none was named, or in a build without the native part (then the variable is still there).
    /// </summary>
    public static string? TreeRoot()
    {
        if (RuntimeFeature.IsDynamicCodeCompiled) return null; // only the NativeAOT binary links it
        try
        {
            return Marshal.PtrToStringUTF8(kvmstor_early_source_tree());
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return null; }
    }

    /// <summary>
    /// Finishes the native check, stating on this thread what its own thread has not (it never waits for that thread):
    /// true when every listed input is unchanged, false when that is not certain. Directories whose ctime moved (an
    /// editor's swap file came and went) are read again here, as the rule says, rather than the whole check run again.
    /// </summary>
    public static bool Current(string root)
    {
        int moved = kvmstor_early_source_check_wait();
        if (moved <= 0) return moved == 0;
        var lines = new string[moved];
        for (int k = 0; k < moved; k++)
            if (Marshal.PtrToStringUTF8(kvmstor_early_moved_directory(k)) is { } line) lines[k] = line;
            else return false;
        return InputPass.DirectoriesUnchanged(root, lines);
    }

    [LibraryImport(Library)]
    private static partial nint kvmstor_early_source_tree();

    [LibraryImport(Library)]
    private static partial int kvmstor_early_source_check_wait();

    [LibraryImport(Library)]
    private static partial nint kvmstor_early_moved_directory(int k);
}
