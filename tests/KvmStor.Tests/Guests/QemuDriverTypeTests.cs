using KvmStor.Model;

namespace KvmStor.Tests.Guests;

/// <summary>The one list of formats qemu opens as they are: attach-disk's default &lt;driver type&gt; and the qemu
/// arguments of a volume disk both read it.</summary>
public class QemuDriverTypeTests
{
    [Fact]
    public void TheListIsPinned() =>
        Assert.Equal(["bochs", "cloop", "dmg", "luks", "parallels", "qcow2", "qed", "vdi", "vhdx", "vmdk", "vpc"],
            VolumeFormats.QemuNativeFormats.Order(StringComparer.Ordinal));

    [Theory]
    [InlineData("qcow2")]
    [InlineData("vmdk")]
    [InlineData("cloop")]
    [InlineData("dmg")]
    [InlineData("bochs")]
    [InlineData("parallels")]
    public void AFormatQemuKnowsIsItsOwnDriverType(string format) => Assert.Equal(format, VolumeFormats.QemuDriverType(format));

    [Theory]
    [InlineData("raw")]
    [InlineData("iso")]
    [InlineData("none")]
    [InlineData("linux")]
    [InlineData("dir")]
    [InlineData(null)]
    public void AnythingElseIsRaw(string? format) => Assert.Equal("raw", VolumeFormats.QemuDriverType(format));
}
