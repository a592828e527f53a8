using System.Runtime.CompilerServices;

namespace KvmStor.Tests.Backends;

/// <summary>Replayed tool output kept under Backends/&lt;Type&gt;/Recorded/ (read from the source tree, next to this file).</summary>
public static class RecordedOutput
{
    public static string Read(string type, string name) => File.ReadAllText(Path.Combine(Here(), type, "Recorded", name));

    private static string Here([CallerFilePath] string here = "") => Path.GetDirectoryName(here)!;
}
