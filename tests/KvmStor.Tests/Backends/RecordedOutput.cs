using System.Runtime.CompilerServices;

namespace KvmStor.Tests.Backends;

/// <summary>Replayed tool output kept under Backends/&lt;Type&gt;/Recorded/ (read from the source tree, next to this file).</summary>
public static class RecordedOutput
{
    public static string Read(string type, string name) => File.ReadAllText(Path.Combine(Here(), type, "Recorded", name));

    /// <summary>A recorded file in another folder beside this one (GlusterData/, NfsData/).</summary>
    public static string PathOf(string folder, string name) => Path.Combine(Here(), folder, name);

    private static string Here([CallerFilePath] string here = "") => Path.GetDirectoryName(here)!;
}
