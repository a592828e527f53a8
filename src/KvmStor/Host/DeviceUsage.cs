namespace KvmStor.Host;

/// <summary>
/// Whether a device or one of its partitions is in use by the host (mounted, or active swap): such a device is never
/// relabelled, wiped or repartitioned underneath its user.
/// </summary>
public sealed class DeviceUsage(string mountTable = "/proc/self/mounts", string swapTable = "/proc/swaps")
{
    /// <summary>Where <paramref name="device"/> (or, with <paramref name="includePartitions"/>, a partition of it) is in use, or null.</summary>
    public string? FindUse(string device, bool includePartitions)
    {
        foreach (var (source, use) in Uses())
            if (source == device || (includePartitions && IsPartitionOf(source, device)))
                return $"'{source}' is {use}";
        return null;
    }

    /// <summary>Throws libvirt-style "operation invalid" when the device is in use.</summary>
    public void RequireUnused(string device, bool includePartitions)
    {
        if (FindUse(device, includePartitions) is { } use)
            throw StorageException.Invalid($"device '{device}' is in use: {use}");
    }

    /// <summary>Whether <paramref name="candidate"/> names a partition of <paramref name="device"/> (sda1 of sda, loop0p2 of loop0).</summary>
    public static bool IsPartitionOf(string candidate, string device)
    {
        if (!candidate.StartsWith(device, StringComparison.Ordinal) || candidate.Length == device.Length) return false;
        var rest = candidate.AsSpan(device.Length);
        // After a name ending in a digit the kernel puts "p" (nvme0n1p2); nvme0n10 is another disk.
        if (rest[0] == 'p') rest = rest[1..];
        else if (char.IsAsciiDigit(device[^1])) return false;
        return rest.Length > 0 && rest.IndexOfAnyExceptInRange('0', '9') < 0;
    }

    private IEnumerable<(string Source, string Use)> Uses()
    {
        if (File.Exists(mountTable))
            foreach (var line in File.ReadLines(mountTable))
            {
                var f = line.Split(' ');
                if (f.Length >= 2 && f[0].StartsWith('/')) yield return (Unescape(f[0]), "mounted on " + Unescape(f[1]));
            }
        if (File.Exists(swapTable))
            foreach (var line in File.ReadLines(swapTable).Skip(1))
            {
                var f = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                if (f.Length > 0) yield return (Unescape(f[0]), "active swap");
            }
    }

    // The kernel writes spaces, tabs, newlines and backslashes in mount paths as octal escapes.
    private static string Unescape(string s) =>
        s.Replace("\\040", " ").Replace("\\011", "\t").Replace("\\012", "\n").Replace("\\134", "\\");
}
