using KvmStor.Backends.Disk;
using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.Tests.Backends;

public sealed class DiskLayoutTests
{
    private static readonly PoolSourceDevice Loop1 = new() { Path = "/dev/loop1" };

    internal static DiskLayout Layout(string parted, string? blkid = null) =>
        DiskLayout.From(PartedTable.Parse(DiskData.Read(parted)), Loop1,
            blkid is null ? new() : DeviceProbe.ParseExport(DiskData.Read(blkid)).ToDictionary(b => b["DEVNAME"]));

    [Fact]
    public void PartedMachineOutputIsParsed()
    {
        var table = PartedTable.Parse(DiskData.Read("gpt-three.parted.txt"));
        Assert.Equal(("/dev/loop1", 1073741824UL, 512, "gpt"), (table.Device, table.DiskSize, table.LogicalSectorSize, table.Label));
        Assert.Equal(4, table.Rows.Count);
        Assert.Equal(new PartedRow(2, 104875008, 157303807, 52428800, "", "primary", "swap", false), table.Rows[1]);
        Assert.True(table.Rows[3].IsFree);
    }

    [Fact]
    public void GeometryGivesTheCylinderSizeOfDosAlignment()
    {
        var geometry = DiskGeometry.Parse(DiskData.Read("dos.chs.txt"));
        Assert.Equal(new DiskGeometry(4112, 255, 2), geometry);
        Assert.Equal(261120UL, geometry.CylinderBytes(512));
    }

    [Fact]
    public void GptTotalsAndFreeExtentsAreLibvirts()
    {
        var layout = Layout("gpt-three.parted.txt", "gpt-three.blkid.txt");
        Assert.Equal(["loop1p1", "loop1p2", "loop1p3"], layout.Partitions.Select(p => p.Name).ToArray());
        Assert.Equal(["none", "linux-swap", "fat32"], layout.Partitions.Select(p => p.Format).ToArray());
        Assert.Equal((1073724928UL, 209715200UL, 863992320UL), layout.Totals());
        Assert.Equal(new DiskFreeRegion(209732608, 1073724928, false), Assert.Single(layout.Free));
        Assert.Equal(new DiskPartition(1, "loop1p1", "/dev/loop1p1", PartitionKind.Primary, 17408, 104875008, "none"), layout.Partitions[0]);
    }

    [Fact]
    public void DosExtendedAndLogicalPartitionsAreRecognised()
    {
        var layout = Layout("dos-extended.parted.txt", "dos-extended.blkid.txt");
        Assert.Equal([PartitionKind.Primary, PartitionKind.Extended, PartitionKind.Logical], layout.Partitions.Select(p => p.Kind).ToArray());
        Assert.Equal(["none", "extended", "linux-swap"], layout.Partitions.Select(p => p.Format).ToArray());
        Assert.Equal([new DiskFreeRegion(157455872, 209940480, true), new DiskFreeRegion(209940480, 1073741824, false)], layout.Free);
        // The extended partition's span does not count as allocation (libvirt: its allocation is 0).
        Assert.Equal(104969216UL + 52484096UL, layout.Totals().Allocation);
    }

    [Fact]
    public void WithoutBlkidTheExtendedPartitionIsTheOneEnclosingOthers()
    {
        var layout = Layout("dos-extended.parted.txt");
        Assert.Equal(PartitionKind.Extended, layout.Partitions[1].Kind);
        Assert.Equal(PartitionKind.Logical, layout.Partitions[2].Kind);
    }

    [Theory]
    [InlineData("/dev/loop1", null, 2, "loop1p2")]
    [InlineData("/dev/nvme0n1", null, 1, "nvme0n1p1")]
    [InlineData("/dev/sdb", null, 3, "sdb3")]
    [InlineData("/dev/mapper/mpatha", true, 1, "mpathap1")]
    [InlineData("/dev/mapper/disk1", false, 1, "disk11")]
    public void PartitionNamesFollowTheKernelAndPartSeparator(string device, bool? separator, int number, string expected) =>
        Assert.Equal(expected, DiskLayout.PartitionName(device, separator, number));
}
