using KvmStor.Host;

namespace KvmStor.Tests.Backends;

/// <summary>
/// Replays recorded command output for the fs/netfs backends: each expected command line (as its one-line
/// rendering) answers with its recorded result; any other command fails the test. Records what ran, in order.
/// </summary>
public sealed class FsReplayRunner : ICommandRunner
{
    private readonly Dictionary<string, CommandResult> _answers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _installed;

    public List<string> Ran { get; } = [];

    /// <param name="installed">Programs <see cref="Exists"/> reports as present (default: the fs tools of this host).</param>
    public FsReplayRunner(params string[] installed) =>
        _installed = installed.Length > 0
            ? new HashSet<string>(installed, StringComparer.Ordinal)
            : ["/bin/mount", "/bin/umount", "/sbin/mkfs", "mkfs.ext4", "mkfs.xfs", "mkfs.vfat", "blkid", "showmount", "gluster"];

    public FsReplayRunner On(string commandLine, int exitCode, string stdout = "", string stderr = "")
    {
        _answers[commandLine] = new CommandResult(exitCode, stdout, stderr);
        return this;
    }

    public CommandResult Run(CommandLine command)
    {
        string line = command.ToString();
        Ran.Add(line);
        return _answers.TryGetValue(line, out var result)
            ? result
            : throw new Xunit.Sdk.XunitException($"unexpected command: {line}");
    }

    public bool Exists(string program) => _installed.Contains(program);
}

/// <summary>A scratch directory with a fake device file and a mount-table file the backend reads instead of /proc/self/mounts.</summary>
public sealed class FsScratch : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("kvmstor-fs-").FullName;
    public string MountTable => Path.Combine(Root, "mounts");
    public string Target => Path.Combine(Root, "pool");
    public string Device => Path.Combine(Root, "disk.img");

    public FsScratch()
    {
        File.WriteAllText(Device, "");
        WriteMounts();
    }

    /// <summary>Writes the mount table: the usual root and proc lines plus the given "source target type options" lines.</summary>
    public void WriteMounts(params string[] lines) =>
        File.WriteAllText(MountTable,
            "proc /proc proc rw,relatime 0 0\n/dev/vda / ext4 rw,relatime 0 0\n" + string.Concat(lines.Select(l => l + " 0 0\n")));

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
