using System.Globalization;
using System.Text.RegularExpressions;
using KvmStor.Host;

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
    public static IscsiSession? FromSysfs(HostRoots roots, string target)
    {
        string dir = roots.OnHost("/sys/class/iscsi_session");
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

    /// <summary>The session's SCSI host number, from its "targetH:B:T" entry in sysfs (as libvirt finds it).</summary>
    public uint ScsiHost(HostRoots roots)
    {
        string sysfsPath = $"/sys/class/iscsi_session/session{Id}/device";
        string dir = roots.OnHost(sysfsPath);
        if (!Directory.Exists(dir)) throw StorageException.System($"cannot open directory '{sysfsPath}'", Errno.ENOENT);
        foreach (var name in Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal))
        {
            if (!name!.StartsWith("target", StringComparison.Ordinal)) continue;
            string digits = new(name["target".Length..].TakeWhile(char.IsAsciiDigit).ToArray());
            if (!uint.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out uint host) || name.Length == "target".Length + digits.Length || name["target".Length + digits.Length] != ':')
                throw StorageException.Internal($"Failed to parse target '{name}'");
            return host;
        }
        throw StorageException.Internal($"Failed to get host number for iSCSI session with path '{sysfsPath}'");
    }

    [GeneratedRegex(@"^tcp:\s+\[(\S+)\]\s+\S+\s+(\S+).*$")]
    private static partial Regex SessionLine();
}
