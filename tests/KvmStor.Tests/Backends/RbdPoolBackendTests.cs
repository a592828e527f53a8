using KvmStor.Backends;
using KvmStor.Backends.Rbd;
using KvmStor.Images;
using KvmStor.Model;

namespace KvmStor.Tests.Backends;

/// <summary>
/// What the rbd backend decides before it talks to a cluster (the live behaviour is in the integration tests, against
/// a real Ceph): libvirt's mon_host, its refusals, and lookups that must not connect at all.
/// </summary>
public sealed class RbdPoolBackendTests
{
    private sealed class NoSecrets : IPoolSecrets
    {
        public byte[] ValueFor(PoolDefinition pool, PoolAuth auth) => throw new InvalidOperationException("no secret expected");
    }

    // A port nobody listens on: any attempt to connect would fail (or wait), so these tests prove none is made.
    private static PoolDefinition Pool(string? sourceName = "rbd") => new()
    {
        Type = PoolType.Rbd,
        Name = "ceph",
        Source = new PoolSource { Hosts = [new PoolSourceHost("127.0.0.1", 1)], Name = sourceName },
    };

    private static readonly RbdPoolBackend Backend = new(new NoSecrets());

    [Fact]
    public void Monitor_hosts_are_formed_as_libvirt_forms_them()
    {
        Assert.Equal("127.0.0.1,", RbdMonitorHosts.Format([new PoolSourceHost("127.0.0.1")]));
        Assert.Equal("mon1:6789,mon2:3300,", RbdMonitorHosts.Format([new PoolSourceHost("mon1", 6789), new PoolSourceHost("mon2", 3300)]));
        Assert.Equal("[::1]:6789,", RbdMonitorHosts.Format([new PoolSourceHost("::1", 6789)]));
        Assert.Equal("::1,", RbdMonitorHosts.Format([new PoolSourceHost("::1")]));
    }

    [Fact]
    public void Capabilities_are_libvirts_plus_upload_and_download()
    {
        var caps = Backend.Capabilities;
        foreach (var wanted in new[] { BackendCapabilities.Refresh, BackendCapabilities.CreateVolume, BackendCapabilities.CreateVolumeFrom,
                     BackendCapabilities.DeleteVolume, BackendCapabilities.ResizeVolume, BackendCapabilities.WipeVolume,
                     BackendCapabilities.UploadVolume, BackendCapabilities.DownloadVolume })
            Assert.True(caps.HasFlag(wanted), wanted.ToString());
        foreach (var absent in new[] { BackendCapabilities.Build, BackendCapabilities.Delete, BackendCapabilities.FindSources })
            Assert.False(caps.HasFlag(absent), absent.ToString());
        Assert.True(BackendRegistry.CreateDefault().IsSupported(PoolType.Rbd));
    }

    [Theory]
    [InlineData("qcow2", 1UL << 20, "only RAW volumes are supported by this storage pool")]
    [InlineData("raw", 0UL, "volume capacity required for this storage pool")]
    public void Volumes_libvirt_cannot_make_are_refused_before_connecting(string format, ulong capacity, string message)
    {
        var volume = new VolumeDefinition { Name = "v", Capacity = capacity, Target = new VolumeTarget { Format = format } };
        var e = Assert.Throws<StorageException>(() => Backend.CreateVolume(Pool(), volume, VolumeCreateFlags.None, null, default));
        Assert.Equal(ErrorCode.NoSupport, e.Code);
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void Encrypted_volumes_are_refused()
    {
        var volume = new VolumeDefinition
        {
            Name = "v", Capacity = 1 << 20,
            Target = new VolumeTarget { Format = "raw", Encryption = new VolumeEncryption { Format = "luks" } },
        };
        var e = Assert.Throws<StorageException>(() => Backend.CreateVolume(Pool(), volume, VolumeCreateFlags.None, null, default));
        Assert.Equal("unsupported configuration: storage pool does not support encrypted volumes", e.Display);
    }

    [Theory]
    [InlineData(WipeAlgorithm.Dod, "unsupported algorithm 2")]
    [InlineData(WipeAlgorithm.Random, "unsupported algorithm 8")]
    public void Only_zero_and_trim_wipe(WipeAlgorithm algorithm, string message)
    {
        var e = Assert.Throws<StorageException>(() => Backend.Wipe(Pool(), new VolumeDefinition { Name = "v" }, algorithm, null, default));
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Equal(message, e.Message);
    }

    [Theory]
    [InlineData("/var/lib/libvirt/images/v.img")]
    [InlineData("otherpool/v")]
    [InlineData("v")]
    public void Keys_and_paths_of_other_pools_are_not_looked_up_on_the_cluster(string keyOrPath) =>
        Assert.Null(Backend.FindVolumeByKeyOrPath(Pool(), keyOrPath));

    [Fact]
    public void A_pool_without_a_source_name_is_an_xml_error()
    {
        var e = Assert.Throws<StorageException>(() => Backend.ListVolumes(Pool(sourceName: null)));
        Assert.Equal("XML error: element 'name' is mandatory for RBD pool", e.Display);
    }
}
