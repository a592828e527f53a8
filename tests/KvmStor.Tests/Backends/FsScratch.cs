namespace KvmStor.Tests.Backends;

/// <summary>A scratch directory with a fake device file and a mount-table file the backend reads instead of /proc/self/mounts.</summary>
public sealed class FsScratch : IDisposable
{
    /// <summary>The fs/netfs backends' tools (mount, umount, mkfs, blkid, showmount, gluster), as a replay runner's installed programs.</summary>
    public static readonly string[] Tools = ["/bin/mount", "/bin/umount", "/sbin/mkfs", "mkfs.ext4", "mkfs.xfs", "mkfs.vfat", "blkid", "showmount", "gluster"];

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
