namespace KvmStor.Host;

/// <summary>What a device holds at its start: a filesystem (ext4, xfs, vfat, swap, LVM2_member…), a partition table
/// (dos, gpt…), both, or nothing. Names are blkid's.</summary>
public sealed record DeviceContent(string? FileSystem, string? PartitionTable)
{
    public static DeviceContent Empty { get; } = new(null, null);
    public bool IsEmpty => FileSystem is null && PartitionTable is null;
}

/// <summary>
/// Asks blkid (superblocks and partition tables, bypassing its cache) what a device holds; when blkid is not
/// installed, asks parted for a partition table. Returns null when neither tool can answer — callers treat that as
/// "unable to probe" (libvirt's rule, spec §3.10).
/// </summary>
public sealed class DeviceProbe(ICommandRunner runner)
{
    public const string BlkidProgram = "blkid";

    public DeviceContent? Probe(string device)
    {
        if (runner.Exists(BlkidProgram)) return ProbeWithBlkid(device);
        if (runner.Exists(PartedCommands.Program)) return ProbeWithParted(device);
        return null;
    }

    public static CommandLine BlkidCommand(params string[] devices) =>
        new(BlkidProgram, new[] { "-p", "-o", "export" }.Concat(devices).ToArray());

    /// <summary>
    /// Probes for a disk pool's label. blkid misnames or misses some labels parted writes (dvh reads as "sgi", pc98 as
    /// "dos", bsd not at all), so for those parted answers, as in libvirt.
    /// </summary>
    public DeviceContent? ProbeForLabel(string device, string expectedLabel)
    {
        if (expectedLabel is "dvh" or "pc98" or "bsd" && runner.Exists(PartedCommands.Program)) return ProbeWithParted(device);
        return Probe(device);
    }

    private DeviceContent? ProbeWithBlkid(string device)
    {
        var result = runner.Run(BlkidCommand(device));
        if (result.ExitCode == 2) return DeviceContent.Empty; // blkid: nothing recognised
        if (!result.Success) return null;
        var values = ParseExport(result.StandardOutput).FirstOrDefault() ?? new Dictionary<string, string>();
        return new DeviceContent(values.GetValueOrDefault("TYPE"), values.GetValueOrDefault("PTTYPE"));
    }

    private DeviceContent? ProbeWithParted(string device)
    {
        var result = runner.Run(PartedCommands.PrintLabel(device));
        string text = result.StandardOutput + result.StandardError;
        if (text.Contains("unrecognised disk label", StringComparison.OrdinalIgnoreCase)) return DeviceContent.Empty;
        if (!result.Success) return null;
        foreach (var line in result.StandardOutput.Split('\n'))
            if (line.StartsWith("Partition Table:", StringComparison.Ordinal))
            {
                string label = line["Partition Table:".Length..].Trim();
                // parted's "loop" label is a filesystem on the whole device: never empty.
                if (label == "loop") return new DeviceContent("unknown", null);
                return label is "" or "unknown" ? DeviceContent.Empty : new DeviceContent(null, PartedCommands.PoolFormatName(label));
            }
        return null;
    }

    /// <summary>Parses <c>blkid -o export</c>: KEY=value lines, one blank-line-separated block per device.</summary>
    public static IReadOnlyList<Dictionary<string, string>> ParseExport(string output)
    {
        var blocks = new List<Dictionary<string, string>>();
        Dictionary<string, string>? current = null;
        foreach (var raw in output.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0) { current = null; continue; }
            int eq = line.IndexOf('=');
            if (eq <= 0) continue;
            if (current is null) blocks.Add(current = new Dictionary<string, string>());
            current[line[..eq]] = line[(eq + 1)..];
        }
        return blocks;
    }
}
