namespace KvmStor.Host;

/// <summary>
/// parted command lines as libvirt's disk backend runs them (spec §3.4), plus the machine-readable listing that
/// replaces libvirt_parthelper. Every command runs with LC_ALL=C so messages and units are parseable.
/// </summary>
public static class PartedCommands
{
    public const string Program = "parted";

    /// <summary>Debian package that provides parted, named in the "missing tool" error.</summary>
    public const string DebianPackage = "parted";

    public static CommandLine MakeLabel(string device, string partedLabel) =>
        Create(device, "mklabel", "--script", partedLabel);

    /// <summary><paramref name="partType"/> is one argument ("primary ext2", "logical ext2", "extended", "primary").</summary>
    public static CommandLine MakePartition(string device, string partType, ulong start, ulong end) =>
        Create(device, "mkpart", "--script", partType, $"{start}B", $"{end}B");

    public static CommandLine Remove(string device, int number) =>
        Create(device, "rm", "--script", number.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Turns a partition flag (lvm, raid…) on: that is how parted gives a partition those types.</summary>
    public static CommandLine SetFlag(string device, int number, string flag) =>
        Create(device, "set", "--script", number.ToString(System.Globalization.CultureInfo.InvariantCulture), flag, "on");

    /// <summary>Partitions and free regions in bytes, one per line (parted's -m format).</summary>
    public static CommandLine PrintFree(string device) =>
        new CommandLine(Program, "-m", "-s", device, "unit", "B", "print", "free").WithEnvironment("LC_ALL", "C");

    /// <summary>The human listing; its header carries the BIOS geometry that dos alignment needs.</summary>
    public static CommandLine PrintChs(string device) =>
        new CommandLine(Program, "-s", device, "unit", "chs", "print").WithEnvironment("LC_ALL", "C");

    /// <summary>The fallback label probe of libvirt's device check.</summary>
    public static CommandLine PrintLabel(string device) =>
        Create(device, "print", "--script");

    /// <summary>libvirt writes the dos label as parted's "msdos"; the other labels keep their names.</summary>
    public static string LabelName(string poolFormat) => poolFormat == "dos" ? "msdos" : poolFormat;

    /// <summary>parted's label name back to the pool format name.</summary>
    public static string PoolFormatName(string partedLabel) => partedLabel == "msdos" ? "dos" : partedLabel;

    /// <summary>Throws a clear error naming the Debian package when parted is not installed.</summary>
    public static void RequireInstalled(ICommandRunner runner)
    {
        if (!runner.Exists(Program))
            throw StorageException.Failed($"Cannot find '{Program}' in path: install the Debian package '{DebianPackage}'");
    }

    private static CommandLine Create(string device, params string[] args) =>
        new CommandLine(Program, new[] { device }.Concat(args).ToArray()).WithEnvironment("LC_ALL", "C");
}
