using System.Text.RegularExpressions;

namespace KvmStor.Backends.Iscsi;

/// <summary>A logged-in iSCSI session: its number (sessionN in sysfs, "-r N" to iscsiadm) and its target IQN.</summary>
internal sealed partial record IscsiSession(string Id, string Target)
{
    /// <summary>
    /// The sessions in "iscsiadm --mode session" output, one per line like
    /// "tcp: [1] 127.0.0.1:3260,1 iqn.2024-01.test:target1 (non-flash)"; other lines are ignored.
    /// </summary>
    public static IReadOnlyList<IscsiSession> ParseList(string output) =>
        output.Split('\n')
            .Select(line => SessionLine().Match(line))
            .Where(m => m.Success)
            .Select(m => new IscsiSession(m.Groups[1].Value, m.Groups[2].Value))
            .ToList();

    /// <summary>
    /// The session for <paramref name="target"/> as sysfs lists it (/sys/class/iscsi_session/sessionN/targetname) —
    /// what iscsiadm itself reads, without starting a process, for the lookups between refreshes.
    /// </summary>
    public static IscsiSession? FromSysfs(IscsiHostPaths paths, string target)
    {
        string dir = paths.Map("/sys/class/iscsi_session");
        if (!Directory.Exists(dir)) return null;
        foreach (var entry in Directory.EnumerateFileSystemEntries(dir, "session*").Order(StringComparer.Ordinal))
        {
            string id = Path.GetFileName(entry)["session".Length..];
            string nameFile = Path.Combine(entry, "targetname");
            if (id.Length == 0 || !id.All(char.IsAsciiDigit) || !File.Exists(nameFile)) continue;
            if (File.ReadAllText(nameFile).TrimEnd('\n') == target) return new IscsiSession(id, target);
        }
        return null;
    }

    [GeneratedRegex(@"^tcp:\s+\[(\S+)\]\s+\S+\s+(\S+).*$")]
    private static partial Regex SessionLine();
}
