using System.Runtime.CompilerServices;

namespace KvmStor.Tests.Backends;

/// <summary>The replayed lvm output files in LogicalData/ (read from the source tree, next to this file).</summary>
public static class LogicalData
{
    public static string Read(string name) => File.ReadAllText(Path.Combine(Directory(), name));

    /// <summary>Expects <paramref name="command"/> next, answering with the recorded file <paramref name="dataFile"/>.</summary>
    public static ReplayRunner ExpectData(this ReplayRunner runner, string command, string dataFile) => runner.Expect(command, Read(dataFile));

    private static string Directory([CallerFilePath] string here = "") => Path.Combine(Path.GetDirectoryName(here)!, "LogicalData");
}
