using System.Text;

namespace KvmStor.Backends.Iscsi;

/// <summary>
/// Puts a CHAP password into open-iscsi's node records without it ever being a process argument. iscsiadm can set a
/// record value only from its command line ("--op update --name node.session.auth.password --value …", which is what
/// libvirt runs, exposing the password in /proc/PID/cmdline); it has no file or standard-input form. So kvmstor
/// writes the "node.session.auth.password = …" line into the record files itself, atomically, mode 0600. iscsiadm
/// reads these files at login and hands the values to iscsid.
/// Layout: NODES/&lt;target&gt;/&lt;address&gt;,&lt;port&gt;,&lt;tpgt&gt;/&lt;iface&gt; (one file per interface), or in
/// old databases NODES/&lt;target&gt;/&lt;address&gt;,&lt;port&gt;,&lt;tpgt&gt; as the single record file.
/// </summary>
internal sealed class IscsiNodeRecords(string nodesDirectory)
{
    public const string PasswordKey = "node.session.auth.password";

    /// <summary>The record files of <paramref name="portal"/>'s target at its address and port, every interface's.</summary>
    public IReadOnlyList<string> RecordFiles(IscsiPortal portal)
    {
        string targetDir = Path.Combine(nodesDirectory, portal.Target);
        if (!Directory.Exists(targetDir)) return [];
        string address = portal.Host.Name.Trim('[', ']');
        var files = new List<string>();
        foreach (var entry in Directory.EnumerateFileSystemEntries(targetDir).Order(StringComparer.Ordinal))
        {
            if (!IsPortalEntry(Path.GetFileName(entry), address, portal.Port)) continue;
            if (Directory.Exists(entry))
                files.AddRange(Directory.EnumerateFiles(entry).Where(f => !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal));
            else
                files.Add(entry);
        }
        return files;
    }

    /// <summary>Writes the password into every record of the portal's target; fails if there is no record.</summary>
    public void StorePassword(IscsiPortal portal, byte[] password)
    {
        string value = ValidPassword(password);
        var files = RecordFiles(portal);
        if (files.Count == 0)
            throw StorageException.Internal(
                $"cannot store the CHAP password: no iSCSI node record for target '{portal.Target}' at {portal.Argument} under '{nodesDirectory}'");
        foreach (var file in files)
            Host.AtomicFile.Write(file, WithPassword(File.ReadAllText(file), value));
    }

    /// <summary>The record text with its password line replaced, or added before "# END RECORD" (or at the end).</summary>
    public static string WithPassword(string record, string password)
    {
        var lines = record.Split('\n').ToList();
        if (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1);
        string line = $"{PasswordKey} = {password}";
        int existing = lines.FindIndex(l => KeyOf(l) == PasswordKey);
        if (existing >= 0) lines[existing] = line;
        else
        {
            int end = lines.FindIndex(l => l.StartsWith("# END RECORD", StringComparison.Ordinal));
            lines.Insert(end >= 0 ? end : lines.Count, line);
        }
        return string.Join('\n', lines) + "\n";
    }

    private static string KeyOf(string line)
    {
        int eq = line.IndexOf('=');
        return eq < 0 ? "" : line[..eq].Trim();
    }

    private static bool IsPortalEntry(string name, string address, int port)
    {
        // "<address>,<port>,<tpgt>"; the address itself may hold colons (IPv6), never commas.
        var parts = name.Split(',');
        return parts.Length == 3 && parts[0].Trim('[', ']') == address && parts[1] == port.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A record line holds one value to the end of the line: refuse what would not read back unchanged.</summary>
    private static string ValidPassword(byte[] password)
    {
        string text;
        try { text = new UTF8Encoding(false, true).GetString(password); }
        catch (DecoderFallbackException) { throw StorageException.InvalidArg("the CHAP secret is not valid UTF-8 text"); }
        if (text.Length == 0) throw StorageException.InvalidArg("the CHAP secret is empty");
        if (text.Any(char.IsControl) || text.Trim() != text)
            throw StorageException.InvalidArg("the CHAP secret contains control characters or leading/trailing blanks, which an iSCSI node record cannot hold");
        return text;
    }
}
