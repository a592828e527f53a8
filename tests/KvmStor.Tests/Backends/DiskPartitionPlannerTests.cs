using KvmStor.Backends.Disk;
using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.Tests.Backends;

public sealed class DiskPartitionPlannerTests
{
    private const ulong MiB = 1 << 20;
    private static readonly DiskGeometry LoopGeometry = DiskGeometry.Parse(DiskData.Read("dos.chs.txt"));

    private static DiskPartitionPlan Plan(string parted, string format, ulong size, string name, string? blkid = null)
    {
        var layout = DiskLayoutTests.Layout(parted, blkid);
        return DiskPartitionPlanner.Plan(layout, layout.IsDos ? LoopGeometry : null, format, size, name, null);
    }

    [Fact]
    public void GptTakesTheFreeStartAndExactlyTheCapacity() =>
        // libvirt 9.0: parted /dev/loop1 mkpart --script primary 17408B 104875007B
        Assert.Equal(new DiskPartitionPlan(PartitionKind.Primary, 1, "loop1p1", 17408, 104875007, "primary"),
            Plan("gpt-empty.parted.txt", "none", 100 * MiB, "loop1p1"));

    [Fact]
    public void DosRoundsTheEndUpToACylinder() =>
        // libvirt 9.0 on dos: partition 1 at 1024B..104970239B, "primary ext2" for format none.
        Assert.Equal(new DiskPartitionPlan(PartitionKind.Primary, 1, "loop1p1", 1024, 104970239, "primary ext2"),
            Plan("dos-empty.parted.txt", "none", 100 * MiB, "loop1p1"));

    [Fact]
    public void ALogicalPartitionStartsOneSectorIntoTheExtendedFreeSpace()
    {
        var plan = Plan("dos-extended.parted.txt", "fat32", 20 * MiB, "loop1p6", "dos-extended.blkid.txt");
        Assert.Equal((PartitionKind.Logical, 6, 157455872UL + 512, "logical fat32"), (plan.Kind, plan.Number, plan.Start, plan.PartedType));
    }

    [Fact]
    public void APrimaryGoesOutsideTheExtendedPartition()
    {
        var plan = Plan("dos-extended.parted.txt", "linux-swap", 50 * MiB, "loop1p3", "dos-extended.blkid.txt");
        Assert.Equal((PartitionKind.Primary, 3, 209940480UL, "primary linux-swap"), (plan.Kind, plan.Number, plan.Start, plan.PartedType));
        Assert.Equal(0UL, (plan.End + 1) % 261120);
    }

    [Fact]
    public void AWrongNameIsRefusedWithTheExpectedOne()
    {
        var e = Assert.Throws<StorageException>(() => Plan("gpt-three.parted.txt", "none", 50 * MiB, "anyname"));
        Assert.Equal("invalid argument: invalid partition name 'anyname', expected 'loop1p4'", e.Display);
    }

    [Fact]
    public void ALogicalNameNeedsAnExtendedPartition()
    {
        var e = Assert.Throws<StorageException>(() => Plan("dos-empty.parted.txt", "linux", 50 * MiB, "loop1p5"));
        Assert.Equal("invalid argument: logical partition 'loop1p5' needs an extended partition on '/dev/loop1'", e.Display);
    }

    [Fact]
    public void ASecondExtendedPartitionIsRefused() =>
        Assert.Throws<StorageException>(() => Plan("dos-extended.parted.txt", "extended", 10 * MiB, "loop1p3", "dos-extended.blkid.txt"));

    [Fact]
    public void TooLargeIsLibvirtsNoFreeExtent()
    {
        var e = Assert.Throws<StorageException>(() => Plan("gpt-three.parted.txt", "none", 900 * MiB, "loop1p4"));
        Assert.Equal("internal error: no large enough free extent", e.Display);
    }

    [Fact]
    public void GptKeepsSwapAndFatTypes() =>
        Assert.Equal("primary linux-swap", Plan("gpt-empty.parted.txt", "linux-swap", MiB, "loop1p1").PartedType);

    [Fact]
    public void SunPartitionsStartAndEndOnCylinders()
    {
        var table = PartedTable.Parse("BYT;\n/dev/loop1:1073741824B:loopback:512:512:sun:Loopback device:;\n1:0B:1073479679B:1073479680B:free;\n");
        var layout = DiskLayout.From(table, new PoolSourceDevice { Path = "/dev/loop1" }, new Dictionary<string, Dictionary<string, string>>());
        var plan = DiskPartitionPlanner.Plan(layout, LoopGeometry, "none", 10 * MiB, "loop1p1", null);
        Assert.Equal((261120UL, 0UL, "ext2"), (plan.Start, (plan.End + 1) % 261120, plan.PartedType));
        Assert.True(plan.End + 1 - plan.Start >= 10 * MiB);
    }
}
