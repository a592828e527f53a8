namespace KvmStor.Host;

/// <summary>A writable block device and what blkid found on it (TYPE, PTTYPE…; empty when nothing).</summary>
public sealed record BlockDevice(string Path, string Kind, IReadOnlyDictionary<string, string> Content)
{
    public string? FileSystem => Content.GetValueOrDefault("TYPE");
    public string? PartitionTable => Content.GetValueOrDefault("PTTYPE");
}

/// <summary>
/// The host's writable, non-empty block devices (lsblk) with their content (blkid; lsblk's own columns stay empty on
/// hosts without a udev database). What source discovery of disk and fs pools offers the user.
/// </summary>
public sealed class BlockDevices(ICommandRunner runner)
{
    /// <summary>lsblk's machine-readable listing; with <paramref name="wholeDisksOnly"/> partitions are left out.</summary>
    public static CommandLine ListCommand(bool wholeDisksOnly) => wholeDisksOnly
        ? new("lsblk", "-P", "-b", "-d", "-o", "NAME,PATH,TYPE,SIZE,RO")
        : new("lsblk", "-P", "-b", "-o", "NAME,PATH,TYPE,SIZE,RO");

    public IReadOnlyList<BlockDevice> List(bool wholeDisksOnly)
    {
        var paths = ParsePairs(runner.RunChecked(ListCommand(wholeDisksOnly)).StandardOutput)
            .Where(d => d.GetValueOrDefault("TYPE") is "disk" or "loop" or "part" && d.GetValueOrDefault("RO") == "0"
                        && d.GetValueOrDefault("SIZE") is { } size && size != "0" && d.ContainsKey("PATH"))
            .Select(d => (Path: d["PATH"], Kind: d["TYPE"])).ToList();
        var content = paths.Count > 0 && runner.Exists(DeviceProbe.BlkidProgram)
            ? Probe(paths.Select(p => p.Path).ToList())
            : [];
        return paths.Select(p => new BlockDevice(p.Path, p.Kind, content.GetValueOrDefault(p.Path) ?? new Dictionary<string, string>())).ToList();
    }

    /// <summary>
    /// blkid -p of every device, in as few runs as it allows: it probes its arguments in order and stops at the first it
    /// finds nothing on or cannot open (exit 2), so each run goes on after the device where the last one stopped. One
    /// empty or unreadable device (another user's loop device, say) must not hide the devices listed after it.
    /// </summary>
    private Dictionary<string, Dictionary<string, string>> Probe(List<string> devices)
    {
        var content = new Dictionary<string, Dictionary<string, string>>();
        int next = 0;
        while (next < devices.Count)
        {
            var result = runner.Run(DeviceProbe.BlkidCommand(devices.Skip(next).ToArray()));
            int lastReported = next - 1;
            foreach (var block in DeviceProbe.ParseExport(result.StandardOutput))
                if (block.TryGetValue("DEVNAME", out var name))
                {
                    content[name] = block;
                    lastReported = Math.Max(lastReported, devices.IndexOf(name, next));
                }
            if (result.Success) break;
            next = lastReported + 2; // past the device it stopped at
        }
        return content;
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
