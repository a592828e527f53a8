using KvmStor.Backends.Logical;
using KvmStor.Model;
using KvmStor.Xml;

namespace KvmStor.Tests.Backends;

/// <summary>lvs rows → volumes, with libvirt's rules (skips, keys, paths, extents, backing) and the thin additions.</summary>
public class LogicalVolumeListingTests
{
    private const ulong MiB = 1 << 20, Extent = 4 * MiB;

    private static IReadOnlyList<LogicalVolume> Listed() =>
        LogicalVolumeListing.Build("/dev/vg0", LvsReport.Parse(LogicalData.Read("lvs-vg0.txt")));

    private static LogicalVolume Named(string name) => Listed().Single(v => v.Definition.Name == name);

    [Fact]
    public void InactiveLvsAndThinPoolsAreNotVolumes()
    {
        Assert.Equal(["base", "grown", "snap1", "sparse1", "stripe1", "thin1", "thin2"],
            Listed().Select(v => v.Definition.Name));
    }

    [Fact]
    public void PlainLvIsABlockVolumeKeyedByUuidUnderTheTarget()
    {
        var v = Named("base").Definition;
        Assert.Equal(VolumeType.Block, v.Type);
        Assert.Equal("u8jzPd-e0Ig-xLd6-Gncf-BAep-fJBd-0Kh8oO", v.Key);
        Assert.Equal("/dev/vg0/base", v.Target.Path);
        Assert.Equal((1024 * MiB, 1024 * MiB), (v.Capacity, v.Allocation));
        Assert.Null(v.BackingStore);
        var device = Assert.Single(v.SourceDevices);
        Assert.Equal("/dev/sdb", device.Path);
        Assert.Equal([new VolumeExtent(0, 1024 * MiB)], device.Extents);
    }

    [Fact]
    public void EverySegmentLineAddsItsExtentOnItsDevice()
    {
        var v = Named("grown").Definition;
        Assert.Equal(192 * MiB, v.Allocation);
        Assert.Equal(["/dev/sdb", "/dev/sdc"], v.SourceDevices.Select(d => d.Path));
        Assert.Equal(new VolumeExtent(385 * Extent, 385 * Extent + 128 * MiB), v.SourceDevices[0].Extents.Single());
        Assert.Equal(new VolumeExtent(64 * Extent, 64 * Extent + 64 * MiB), v.SourceDevices[1].Extents.Single());
    }

    [Fact]
    public void StripedLvHasOneExtentPerStripeOfTheSegmentLength()
    {
        var v = Named("stripe1").Definition;
        Assert.Equal(
            [("/dev/sdb", new VolumeExtent(321 * Extent, 321 * Extent + 512 * MiB)), ("/dev/sdc", new VolumeExtent(0, 512 * MiB))],
            v.SourceDevices.Select(d => (d.Path, d.Extents.Single())));
    }

    [Fact]
    public void SnapshotIsBackedByItsOriginAndAsLargeAsIt()
    {
        var v = Named("snap1");
        Assert.True(v.IsSnapshot);
        Assert.Equal("/dev/vg0/base", v.Definition.BackingStore?.Path);
        Assert.Equal((1024 * MiB, 256 * MiB), (v.Definition.Capacity, v.Definition.Allocation));
    }

    [Fact]
    public void VirtualSizeSnapshotIsSparseWithoutBackingStore()
    {
        var v = Named("sparse1");
        Assert.True(v.IsSnapshot);
        Assert.Null(v.Definition.BackingStore);
        Assert.Equal((10240 * MiB, 4 * MiB), (v.Definition.Capacity, v.Definition.Allocation));
    }

    [Fact]
    public void ThinVolumeUsesItsShareOfTheThinPoolAsAllocation()
    {
        var thin1 = Named("thin1");
        Assert.True(thin1.IsThin);
        Assert.Equal("tpool", thin1.ThinPool);
        Assert.Empty(thin1.Definition.SourceDevices);
        Assert.Equal((20480 * MiB, 256 * MiB), (thin1.Definition.Capacity, thin1.Definition.Allocation));
        Assert.Equal(0UL, Named("thin2").Definition.Allocation);
    }

    [Fact]
    public void LibvirtsTenFieldFormWithTrailingSeparatorIsRead()
    {
        var rows = LvsReport.Parse("  lv1##abcdef-ABCD-1234-abcd-ABCD-1234-abcdef#/dev/sdb(10)#linear#1#8388608#4194304#8388608#-wi-a-----#\n");
        var v = Assert.Single(LogicalVolumeListing.Build("/dev/vg", rows)).Definition;
        Assert.Equal(("/dev/vg/lv1", 8 * MiB), (v.Target.Path, v.Capacity));
        Assert.Equal(new VolumeExtent(40 * MiB, 48 * MiB), v.SourceDevices.Single().Extents.Single());
    }

    [Theory]
    [InlineData("  lv1##uuid#/dev/sdb(0)#linear#1#8388608#4194304#8388608")] // too few fields
    [InlineData("  lv1##uuid#/dev/sdb(0)#linear#x#8388608#4194304#8388608#-wi-a-----")] // stripes not a number
    [InlineData("  lv1##uuid##linear#1#8388608#4194304#8388608#-wi-a-----")] // no devices, not thin
    [InlineData("  WARNING: Activation disabled. No device-mapper interaction will be attempted.")]
    public void LinesOutsideTheFormatAreSkipped(string line) => Assert.Empty(LvsReport.Parse(line));

    [Theory]
    [InlineData("/dev/sdb#linear#1", "malformed volume extent devices value")]
    [InlineData("/dev/sdb(x)#linear#1", "malformed volume extent offset value")]
    [InlineData("/dev/sdb(0)#striped#2", "malformed volume extent devices value")]
    [InlineData("/dev/sdb(0)#striped#0", "malformed volume extent stripes value")]
    public void MalformedExtentsFailWithLibvirtsMessages(string devicesSegtypeStripes, string message)
    {
        var rows = LvsReport.Parse($"  lv1##uuid#{devicesSegtypeStripes}#8388608#4194304#8388608#-wi-a-----");
        var e = Assert.Throws<StorageException>(() => LogicalVolumeListing.Build("/dev/vg", rows));
        Assert.Equal("internal error: " + message, e.Display);
    }

    [Fact]
    public void SegmentSizeThatIsNoNumberIsAMalformedLength()
    {
        var rows = LvsReport.Parse("  lv1##uuid#/dev/sdb(0)#linear#1#8M#4194304#8388608#-wi-a-----");
        Assert.Equal("internal error: malformed volume extent length value",
            Assert.Throws<StorageException>(() => LogicalVolumeListing.Build("/dev/vg", rows)).Display);
    }

    [Fact]
    public void VolumeXmlShowsExtentsGroupedByDevice()
    {
        string xml = VolumeXml.Format(Named("stripe1").Definition, PoolType.Logical);
        Assert.Contains("""
              <source>
                <device path='/dev/sdb'>
                  <extent start='1346371584' end='1883242496'/>
                </device>
                <device path='/dev/sdc'>
                  <extent start='0' end='536870912'/>
                </device>
              </source>
            """, xml);
        Assert.DoesNotContain("<format", xml);
    }

    [Fact]
    public void VgsGivesSizeAndFree()
    {
        Assert.Equal((68711088128UL, 64403537920UL), VgsReport.Parse(LogicalData.Read("vgs-vg0.txt")));
        Assert.Equal((10UL, 4UL), VgsReport.Parse("  10:4:\n"));
        Assert.Null(VgsReport.Parse("  Volume group \"x\" not found\n"));
    }

    [Fact]
    public void PvsGroupsDevicesByVolumeGroupAndLeavesOutFreePvs()
    {
        var sources = PvsReport.Parse(LogicalData.Read("pvs-sources.txt"));
        Assert.Equal([("vg0", "/dev/sdb,/dev/sdc"), ("backup", "/dev/sdd,/dev/sdf1")],
            sources.Select(s => (s.Name!, string.Join(',', s.Devices.Select(d => d.Path)))));
        Assert.All(sources, s => Assert.Equal("lvm2", s.Format));
    }
}
