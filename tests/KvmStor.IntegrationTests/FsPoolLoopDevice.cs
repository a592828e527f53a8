using KvmStor.Backends.Fs;
using KvmStor.Engine;
using KvmStor.Host;
using KvmStor.State;

namespace KvmStor.IntegrationTests;

/// <summary>
/// A real loop device over a sparse 512 MiB file (big enough for xfs), a pool target path and a throw-away
/// kvmstor state directory. Dispose unmounts the target if anything left it mounted, then detaches exactly this
/// loop device, then removes the scratch directory, whatever the test did.
/// </summary>
public sealed class FsPoolLoopDevice : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("kvmstor-fsit-").FullName;
    public string Device { get; }
    public string Target => Path.Combine(Root, "pools", "fs1");

    public FsPoolLoopDevice()
    {
        string image = Path.Combine(Root, "disk.img");
        using (var h = File.OpenHandle(image, FileMode.CreateNew, FileAccess.ReadWrite))
            FileSystem.Truncate(h, 512L << 20);
        Device = Run("losetup", "--find", "--show", image).Trim();
    }

    public StorageHost OpenHost() => OpenHost(Root);

    /// <summary>A kvmstor session whose state lives under <paramref name="root"/>, with the default backends.</summary>
    public static StorageHost OpenHost(string root) => new(
        new StatePaths(StatePaths.SessionUri, Path.Combine(root, "config"), Path.Combine(root, "config", "autostart"), Path.Combine(root, "run")),
        KvmStor.Backends.BackendRegistry.CreateDefault());

    public string PoolXml(string format, string name = "fs1", string? target = null) => $"""
        <pool type='fs'>
          <name>{name}</name>
          <source>
            <device path='{Device}'/>
            <format type='{format}'/>
          </source>
          <target>
            <path>{target ?? Target}</path>
          </target>
        </pool>
        """;

    /// <summary>The mount table's line for the target, if mounted.</summary>
    public MountEntry? TargetMount() => MountTable.Read().Entries.LastOrDefault(e => e.MountPoint == Target);

    /// <summary>What blkid finds on the device now (TYPE), or null for an empty device.</summary>
    public string? FileSystemType()
    {
        var r = new ProcessCommandRunner().Run(new CommandLine("blkid", "-p", "-o", "value", "-s", "TYPE", Device));
        return r.ExitCode == 2 ? null : r.StandardOutput.Trim();
    }

    public string FileSystemUuid() => Run("blkid", "-p", "-o", "value", "-s", "UUID", Device).Trim();

    public static string Run(string program, params string[] arguments)
    {
        var result = new ProcessCommandRunner().Run(new CommandLine(program, arguments));
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({result.ExitCode}): {result.StandardError}");
        return result.StandardOutput;
    }

    public void Dispose()
    {
        try
        {
            while (TargetMount() is not null) Run("umount", Target);
        }
        finally
        {
            try { Run("losetup", "-d", Device); }
            finally
            {
                try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
            }
        }
    }
}
