using KvmStor.Backends;
using KvmStor.Backends.Rbd;
using KvmStor.Host;
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

    [Fact]
    public void A_chunk_that_raced_a_timeout_fails_the_transfer_with_the_timeout_itself()
    {
        using var both = new Barrier(2);
        var timeout = NetworkTimeout.TimedOut("writing RBD image 'rbd/v'", TimeSpan.FromSeconds(3));
        var e = Assert.Throws<StorageException>(() => RbdTransfer.InParallel(2, chunk =>
        {
            Assert.True(both.SignalAndWait(TimeSpan.FromSeconds(30)), "the two chunks did not run at once");
            // The chunk whose handle was abandoned under it fails first; the one that timed out a moment later.
            if (chunk == 0) throw new ObjectDisposedException("RbdImageHandle");
            Thread.Sleep(50);
            throw timeout;
        }));
        Assert.Same(timeout, e);
        Assert.Equal(ErrorCode.OperationTimeout, e.Code);
    }

    [Fact]
    public void Parallel_chunks_without_a_storage_error_keep_their_own_failure()
    {
        var e = Assert.Throws<AggregateException>(() => RbdTransfer.InParallel(1, _ => throw new InvalidOperationException("bug")));
        Assert.IsType<InvalidOperationException>(e.InnerException);
    }

    [Theory]
    [InlineData(110, true)]   // librados' own op timeout
    [InlineData(108, true)]   // ESHUTDOWN: blocklisted
    [InlineData(107, true)]
    [InlineData(13, true)]    // a key the cluster no longer accepts
    [InlineData(2, false)]    // no such image: an answer, not a lost connection
    [InlineData(16, false)]
    [InlineData(17, false)]
    [InlineData(39, false)]
    public void Only_connection_errors_drop_a_kept_connection(int errno, bool lost) =>
        Assert.Equal(lost, RbdErrors.IsConnectionLoss(errno));

    [Fact]
    public void Pools_share_a_connection_only_with_the_same_monitors_ceph_pool_user_secret_and_options()
    {
        var auth = new PoolAuth { Type = AuthType.Ceph, Username = "admin", SecretUsage = "k" };
        PoolDefinition With(string host = "mon1", string name = "rbd", PoolAuth? a = null, IReadOnlyList<RbdConfigOption>? options = null) => new()
        {
            Type = PoolType.Rbd,
            Name = "any",
            Source = new PoolSource { Hosts = [new PoolSourceHost(host, 6789)], Name = name, Auth = a ?? auth },
            RbdConfigOptions = options ?? [],
        };
        string Key(PoolDefinition pool) => RadosConnections.KeyOf(pool, RbdMonitorHosts.Format(pool.Source.Hosts));
        string baseline = Key(With());
        Assert.Equal(baseline, Key(With() with { Name = "another-name-same-source" }));
        Assert.NotEqual(baseline, Key(With(host: "mon2")));
        Assert.NotEqual(baseline, Key(With(name: "other")));
        Assert.NotEqual(baseline, Key(With(a: auth with { Username = "guest" })));
        Assert.NotEqual(baseline, Key(With(a: auth with { SecretUsage = "other" })));
        Assert.NotEqual(baseline, Key(With(options: [new RbdConfigOption("rbd_cache", "true")])));
    }

    [Fact]
    public void Forgetting_a_connection_that_was_never_made_does_nothing()
    {
        Backend.ForgetConnection(Pool());
        Backend.ForgetConnection(Pool(sourceName: null));
        Backend.SecretsChanged();
        Assert.Empty(Backend.KeptConnectionKeys);
    }
}
