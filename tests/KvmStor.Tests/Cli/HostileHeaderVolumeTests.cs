using KvmStor.Tests.Images;
using static KvmStor.Tests.Images.ImageHeaders;

namespace KvmStor.Tests.Cli;

/// <summary>
/// A file whose header holds impossible values (a guest or a pool user can write any bytes) is still a volume: it
/// lists, shows, can be wiped and deleted. Before, a qcow2 backing offset near 2^63 made it vanish from vol-list.
/// </summary>
public sealed class HostileHeaderVolumeTests : IDisposable
{
    private readonly VolumeCliSession _s = new();

    public void Dispose() => _s.Dispose();

    public static TheoryData<string, byte[], bool> Headers()
    {
        var farBacking = Qcow2(3, 1 << 20, backing: "base.img");
        BE64(farBacking, 8, long.MaxValue);
        var hugeName = Qcow2(2, 1 << 20, backing: "base.img");
        BE32(hugeName, 16, 0xFFFF_FFFF);
        var hugeCapacity = Qcow2(3, ulong.MaxValue);
        var qedFar = Qed();
        LE32(qedFar, 56, 0xFFFF_FFFF);
        var extension = Qcow2(3, 1 << 20, backing: "base.img", backingFormat: "raw");
        BE32(extension, 100, 0xFFFF_FFFF);
        return new()
        {
            { "far-backing.qcow2", farBacking, false },
            { "huge-name.qcow2", hugeName, false },
            { "huge-capacity.qcow2", hugeCapacity, false },
            { "qed-far.qed", qedFar, false },
            { "bad-header-length.qcow2", extension, true }, // the name itself is fine; only the extensions are lost
        };
    }

    [Theory]
    [MemberData(nameof(Headers))]
    public void ListedShownWipedAndDeletable(string name, byte[] header, bool hasBacking)
    {
        File.WriteAllBytes(_s.VolumePath("p1", name), header);
        _s.Ok("pool-refresh", "p1");
        Assert.Contains(name, _s.Ok("vol-list", "p1"));
        string xml = _s.Ok("vol-dumpxml", name, "--pool", "p1");
        Assert.Contains($"<name>{name}</name>", xml);
        Assert.Equal(hasBacking, xml.Contains("<backingStore>", StringComparison.Ordinal));
        _s.Ok("vol-wipe", name, "--pool", "p1"); // a damaged container is wiped whole when it cannot be rebuilt
        Assert.Contains(name, _s.Ok("vol-list", "p1"));
        _s.Ok("vol-delete", name, "--pool", "p1");
        Assert.False(File.Exists(_s.VolumePath("p1", name)));
    }
}
