using KvmStor.Host;
using KvmStor.Model;
using KvmStor.Xml;

namespace KvmStor.Backends.Disk;

/// <summary>
/// find-storage-pool-sources for disk pools (beyond libvirt, which does not support it): every writable whole disk
/// with its partition table, so a user sees what can become a pool. Disks are listed by lsblk, their content read by
/// blkid (lsblk's own columns stay empty on hosts without a udev database).
/// </summary>
public sealed class DiskSourceFinder(ICommandRunner runner)
{
    public static CommandLine ListCommand { get; } = new("lsblk", "-P", "-b", "-d", "-o", "NAME,PATH,TYPE,SIZE,RO");

    public string FindSources()
    {
        var disks = ParsePairs(runner.RunChecked(ListCommand).StandardOutput)
            .Where(d => d.GetValueOrDefault("TYPE") is "disk" or "loop" && d.GetValueOrDefault("RO") == "0"
                        && d.GetValueOrDefault("SIZE") is { } size && size != "0" && d.ContainsKey("PATH"))
            .Select(d => d["PATH"]).ToList();
        var content = new Dictionary<string, Dictionary<string, string>>();
        if (disks.Count > 0 && runner.Exists(DeviceProbe.BlkidProgram))
            foreach (var block in DeviceProbe.ParseExport(runner.Run(DeviceProbe.BlkidCommand(disks.ToArray())).StandardOutput))
                if (block.TryGetValue("DEVNAME", out var name)) content[name] = block;
        var sources = disks.Select(path => new PoolSource
        {
            Devices = [new PoolSourceDevice { Path = path }],
            Format = content.GetValueOrDefault(path)?.GetValueOrDefault("PTTYPE") is { } label
                ? PartedCommands.PoolFormatName(label) : null,
        });
        return SourcesXml.Format(PoolType.Disk, sources);
    }

    /// <summary>Parses lsblk -P lines: KEY="value" pairs (lsblk escapes quotes inside values as \x22).</summary>
    public static List<Dictionary<string, string>> ParsePairs(string output)
    {
        var rows = new List<Dictionary<string, string>>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var row = new Dictionary<string, string>();
            int i = 0;
            while (i < line.Length)
            {
                int eq = line.IndexOf("=\"", i, StringComparison.Ordinal);
                if (eq < 0) break;
                int close = line.IndexOf('"', eq + 2);
                if (close < 0) break;
                row[line[i..eq].Trim()] = line[(eq + 2)..close].Replace("\\x22", "\"").Replace("\\x20", " ");
                i = close + 1;
            }
            rows.Add(row);
        }
        return rows;
    }
}
