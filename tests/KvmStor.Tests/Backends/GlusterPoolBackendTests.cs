using KvmStor.Backends;
using KvmStor.Backends.Gluster;
using KvmStor.Model;
using KvmStor.Xml;

namespace KvmStor.Tests.Backends;

/// <summary>
/// gluster pools without a server: names as libvirt forms them (golden vol-gluster-dir: key "vol/dir", path
/// "gluster://example.com/vol/dir"), the private mount's command line, libvirt's connection error, and source
/// discovery from recorded real `gluster --xml volume info all` output. The live server runs in the integration tests.
/// </summary>
public sealed class GlusterPoolBackendTests : IDisposable
{
    private readonly FsScratch _dir = new();

    public void Dispose() => _dir.Dispose();

    private static PoolDefinition Pool(string dir = "/", string host = "<host name='127.0.0.1'/>") => PoolXml.Parse($"""
        <pool type='gluster'>
          <name>gl</name>
          <uuid>b7d1545a-4b45-4072-a611-cab9a91aa77b</uuid>
          <source>{host}<dir path='{dir}'/><name>glvol</name></source>
        </pool>
        """);

    private string MountPoint => Path.Combine(_dir.Root, "mnt", "b7d1545a-4b45-4072-a611-cab9a91aa77b");

    private GlusterPoolBackend Backend(ReplayRunner runner) =>
        new(runner, Path.Combine(_dir.Root, "mnt"), _dir.MountTable, TimeSpan.FromSeconds(5));

    [Theory]
    [InlineData("/", null, "dir", "vol/dir", "gluster://example.com/vol/dir")]
    [InlineData("/sub", null, "a.img", "vol/sub/a.img", "gluster://example.com/vol/sub/a.img")]
    [InlineData("/sub/", 24008, "a.img", "vol/sub/a.img", "gluster://example.com:24008/vol/sub/a.img")]
    public void KeysAndPathsAreLibvirts(string dir, int? port, string name, string key, string path)
    {
        var pool = PoolXml.Parse($"""
            <pool type='gluster'><name>g</name><source><host name='example.com'{(port is { } p ? $" port='{p}'" : "")}/><dir path='{dir}'/><name>vol</name></source></pool>
            """);
        var location = GlusterLocation.Of(pool);
        Assert.Equal(key, location.KeyOf(name));
        Assert.Equal(path, location.PathOf(name));
        Assert.Equal(name, location.NameFrom(key));
        Assert.Equal(name, location.NameFrom(path));
        Assert.Null(location.NameFrom("other/" + name));
    }

    [Fact]
    public void StartMountsThePoolsDirectoryPrivatelyAndStopUnmountsIt()
    {
        string mount = $"/bin/mount -o nodev,nosuid,noexec,direct-io-mode=1 -t glusterfs 127.0.0.1:/glvol/vms {MountPoint}";
        var runner = new ReplayRunner(GlusterPoolBackend.MountHelper).On(mount, 0).On($"/bin/umount {MountPoint}", 0);
        var backend = Backend(runner);
        backend.Start(Pool("/vms"));
        Assert.True(Directory.Exists(MountPoint));
        _dir.WriteMounts($"127.0.0.1:/glvol/vms {MountPoint} fuse.glusterfs rw");
        Assert.True(backend.CheckActive(Pool("/vms")));
        backend.Stop(Pool("/vms"));
        Assert.Equal([mount, $"/bin/umount {MountPoint}"], runner.Ran);
        Assert.False(Directory.Exists(MountPoint));
    }

    [Fact]
    public void AnUnreachableVolumeIsLibvirtsConnectionError()
    {
        string mount = $"/bin/mount -o nodev,nosuid,noexec,direct-io-mode=1 -t glusterfs 127.0.0.1:/glvol {MountPoint}";
        var runner = new ReplayRunner(GlusterPoolBackend.MountHelper).On(mount, 1, "", "Mount failed. Check the log file  for more details.\n");
        var e = Assert.Throws<StorageException>(() => Backend(runner).Start(Pool()));
        Assert.Equal("failed to connect to gluster://127.0.0.1/glvol/: Mount failed. Check the log file  for more details.", e.Display);
        Assert.False(Directory.Exists(MountPoint));
    }

    [Fact]
    public void WithoutTheFuseClientTheErrorNamesThePackage()
    {
        var e = Assert.Throws<StorageException>(() => Backend(new ReplayRunner("/bin/mount")).Start(Pool()));
        Assert.Equal("Operation not supported: gluster pools need the GlusterFS FUSE client: /sbin/mount.glusterfs is missing " +
                     "(install the Debian package glusterfs-client)", e.Display);
        Assert.False(Directory.Exists(MountPoint));
    }

    [Fact]
    public void SourceRulesAreLibvirts()
    {
        var e = Assert.Throws<StorageException>(() => Backend(new ReplayRunner(FsScratch.Tools)).Start(Pool("/", "<host name='a'/><host name='b'/>")));
        Assert.Equal("XML error: Expected exactly 1 host for the gluster volume", e.Display);
        Assert.Equal(BackendCapabilities.None, Backend(new ReplayRunner(FsScratch.Tools)).Capabilities & (BackendCapabilities.Build | BackendCapabilities.Delete));
    }

    [Fact]
    public void RecordedGlusterOutputListsVolumesByName()
    {
        string recorded = File.ReadAllText(RecordedOutput.PathOf("GlusterData", "volume-info-all-2-volumes.xml"));
        var runner = new ReplayRunner("gluster")
            .On("gluster --xml --log-file=/dev/null volume info all --remote-host=127.0.0.1", 0, recorded);
        Assert.Equal("""
            <sources>
              <source>
                <host name='127.0.0.1'/>
                <name>images</name>
              </source>
              <source>
                <host name='127.0.0.1'/>
                <name>tv</name>
              </source>
            </sources>

            """, SourcesXml.Format(PoolType.Gluster, Backend(runner).FindSources("<source><host name='127.0.0.1'/></source>")));
    }
}
