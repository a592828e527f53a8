using KvmStor.Backends.Disk;
using KvmStor.Host;

namespace KvmStor.Tests.Backends;

public sealed class DeviceUsageTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kvmstor-usage-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private DeviceUsage Usage(string mounts, string swaps = "")
    {
        File.WriteAllText(Path.Combine(_dir, "mounts"), mounts);
        File.WriteAllText(Path.Combine(_dir, "swaps"), "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n" + swaps);
        return new DeviceUsage(Path.Combine(_dir, "mounts"), Path.Combine(_dir, "swaps"));
    }

    [Fact]
    public void PartitionsCountOnlyWhenAsked()
    {
        var usage = Usage("/dev/nvme0n1p2 /srv/my\\040data ext4 rw 0 0\nproc /proc proc rw 0 0\n");
        Assert.Equal("'/dev/nvme0n1p2' is mounted on /srv/my data", usage.FindUse("/dev/nvme0n1", includePartitions: true));
        Assert.Null(usage.FindUse("/dev/nvme0n1", includePartitions: false));
        // nvme0n10 is another disk, not a partition of nvme0n1.
        Assert.Null(Usage("/dev/nvme0n10 /x ext4 rw 0 0\n").FindUse("/dev/nvme0n1", includePartitions: true));
        Assert.NotNull(Usage("/dev/sda10 /x ext4 rw 0 0\n").FindUse("/dev/sda", includePartitions: true));
    }

    [Fact]
    public void ActiveSwapIsAUse()
    {
        var usage = Usage("", "/dev/sdb3                               partition\t1048572\t\t0\t\t-2\n");
        Assert.Equal("'/dev/sdb3' is active swap", usage.FindUse("/dev/sdb", includePartitions: true));
        Assert.Null(usage.FindUse("/dev/sdb1", includePartitions: false));
    }

    [Fact]
    public void PartedCommandLinesAreLibvirts()
    {
        Assert.Equal("parted /dev/loop1 mklabel --script msdos", PartedCommands.MakeLabel("/dev/loop1", PartedCommands.LabelName("dos")).ToString());
        Assert.Equal("parted /dev/loop1 mkpart --script 'primary ext2' 1024B 104970239B",
            PartedCommands.MakePartition("/dev/loop1", "primary ext2", 1024, 104970239).ToString());
        Assert.Equal("C", PartedCommands.Remove("/dev/loop1", 2).Environment["LC_ALL"]);
    }
}
