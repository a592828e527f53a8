using KvmStor.Backends;
using KvmStor.Backends.Fs;
using KvmStor.Model;
using KvmStor.Xml;

namespace KvmStor.Tests.Backends;

/// <summary>
/// netfs pools. This host has no NFS or CIFS kernel client, so mount, showmount and gluster answers are replayed:
/// mount failures as libvirt 9.0 recorded them here (transcripts/netfs.txt); showmount and gluster output in the
/// tools' documented formats (showmount: "path clients", gluster: --xml cliOutput).
/// </summary>
public sealed class FsNetFsPoolBackendTests : IDisposable
{
    private readonly FsScratch _dir = new();

    public void Dispose() => _dir.Dispose();

    private PoolDefinition Pool(string format, string dir = "/export", string mode = "") => PoolXml.Parse($"""
        <pool type='netfs'>
          <name>nfs1</name>
          <source><host name='127.0.0.1'/><dir path='{dir}'/><format type='{format}'/></source>
          <target><path>{_dir.Target}</path>{mode}</target>
        </pool>
        """);

    private NetFsPoolBackend Backend(ReplayRunner runner) => new(runner, _dir.MountTable);

    private static string Spec(string host) => $"<source><host name='{host}'/></source>";

    [Fact]
    public void DeclaresLibvirtsNetFsCapabilitiesWithSourceDiscovery()
    {
        Assert.Equal(BackendCapabilities.Check | BackendCapabilities.Build | BackendCapabilities.Start | BackendCapabilities.Stop |
                     BackendCapabilities.Delete | BackendCapabilities.Refresh | BackendCapabilities.FindSources |
                     BackendCapabilities.CreateVolume | BackendCapabilities.CreateVolumeFrom | BackendCapabilities.DeleteVolume |
                     BackendCapabilities.ResizeVolume | BackendCapabilities.UploadVolume | BackendCapabilities.DownloadVolume |
                     BackendCapabilities.WipeVolume,
            Backend(new ReplayRunner(FsScratch.Tools)).Capabilities);
    }

    [Theory]
    [InlineData("nfs", "127.0.0.1:/export", "nfs4")]
    [InlineData("glusterfs", "127.0.0.1:/export", "fuse.glusterfs")]
    [InlineData("cifs", "//127.0.0.1//export", "cifs")]
    public void ActiveWhenTheMountTableShowsTheSourceOnTheTarget(string format, string fsname, string type)
    {
        var backend = Backend(new ReplayRunner(FsScratch.Tools));
        Assert.False(backend.CheckActive(Pool(format)));
        _dir.WriteMounts($"{fsname} {_dir.Target} {type} rw");
        Assert.True(backend.CheckActive(Pool(format)));
    }

    [Fact]
    public void CifsSourceIsSlashSlashHostSlashShare()
    {
        _dir.WriteMounts($"//127.0.0.1/share {_dir.Target} cifs rw");
        Assert.True(Backend(new ReplayRunner(FsScratch.Tools)).CheckActive(Pool("cifs", dir: "share")));
    }

    [Fact]
    public void MountTableEscapesAreDecoded()
    {
        _dir.WriteMounts($@"127.0.0.1:/my\040share {_dir.Target} nfs rw");
        Assert.True(Backend(new ReplayRunner(FsScratch.Tools)).CheckActive(Pool("nfs", dir: "/my share")));
    }

    [Fact]
    public void AFailedNfsMountIsReportedAsLibvirtReportedItHere()
    {
        string mount = $"/bin/mount -o nodev,nosuid,noexec -t nfs 127.0.0.1:/export {_dir.Target}";
        var runner = new ReplayRunner(FsScratch.Tools).On(mount, 32, "",
            $"mount: {_dir.Target}: unknown filesystem type 'nfs'.\n       dmesg(1) may have more information after failed mount system call.\n");
        var e = Assert.Throws<StorageException>(() => Backend(runner).Start(Pool("nfs")));
        Assert.Equal($"internal error: Child process ({mount}) unexpected exit status 32: mount: {_dir.Target}: unknown filesystem type 'nfs'.\n" +
                     "       dmesg(1) may have more information after failed mount system call.", e.Display);
    }

    [Fact]
    public void StartAndStopMountAndUnmountAGlusterVolume()
    {
        string mount = $"/bin/mount -o nodev,nosuid,noexec,direct-io-mode=1 -t glusterfs 127.0.0.1:/gv0 {_dir.Target}";
        var runner = new ReplayRunner(FsScratch.Tools).On(mount, 0).On($"/bin/umount {_dir.Target}", 0);
        var backend = Backend(runner);
        backend.Start(Pool("glusterfs", dir: "/gv0"));
        _dir.WriteMounts($"127.0.0.1:/gv0 {_dir.Target} fuse.glusterfs rw,nosuid,nodev,noexec");
        backend.Stop(Pool("glusterfs", dir: "/gv0"));
        Assert.Equal([mount, $"/bin/umount {_dir.Target}"], runner.Ran);
    }

    [Fact]
    public void ValidityNeedsExactlyOneHost()
    {
        var pool = Pool("nfs");
        var twoHosts = pool with { Source = pool.Source with { Hosts = [new("a"), new("b")] } };
        var e = Assert.Throws<StorageException>(() => Backend(new ReplayRunner(FsScratch.Tools)).Start(twoHosts));
        Assert.Equal("unsupported configuration: expected exactly 1 host for the storage pool", e.Display);
        var noDir = pool with { Source = pool.Source with { Dir = null } };
        e = Assert.Throws<StorageException>(() => Backend(new ReplayRunner(FsScratch.Tools)).CheckActive(noDir));
        Assert.Equal("internal error: missing source path", e.Display);
    }

    [Fact]
    public void BuildMakesTheTargetWithMode0711EvenWhenItExisted()
    {
        Directory.CreateDirectory(_dir.Target);
        File.SetUnixFileMode(_dir.Target, (UnixFileMode)0b111_101_101);
        var runner = new ReplayRunner(FsScratch.Tools);
        Backend(runner).Build(Pool("nfs"), PoolBuildFlags.None);
        Assert.Equal((UnixFileMode)0b111_001_001, File.GetUnixFileMode(_dir.Target));
        Assert.Empty(runner.Ran);
    }

    [Fact]
    public void BuildKeepsAConfiguredMode()
    {
        Backend(new ReplayRunner(FsScratch.Tools)).Build(Pool("nfs", mode: "<permissions><mode>0750</mode></permissions>"), PoolBuildFlags.None);
        Assert.Equal((UnixFileMode)0b111_101_000, File.GetUnixFileMode(_dir.Target));
    }

    [Fact]
    public void BuildWithOverwriteHasNoDeviceToFormat()
    {
        var e = Assert.Throws<StorageException>(() => Backend(new ReplayRunner(FsScratch.Tools)).Build(Pool("nfs"), PoolBuildFlags.Overwrite));
        Assert.Equal("Requested operation is not valid: No source device specified when formatting pool 'nfs1'", e.Display);
    }

    [Fact]
    public void FindSourcesNeedsAHost()
    {
        var e = Assert.Throws<StorageException>(() => Backend(new ReplayRunner(FsScratch.Tools)).FindSources(null));
        Assert.Equal("invalid argument: hostname must be specified for netfs sources", e.Display);
        e = Assert.Throws<StorageException>(() =>
            Backend(new ReplayRunner(FsScratch.Tools)).FindSources("<source><host name='a'/><host name='b'/></source>"));
        Assert.Equal("unsupported configuration: Expected exactly 1 host for the storage pool", e.Display);
    }

    [Fact]
    public void FindSourcesListsNfsExportsIncludingPathsWithSpaces()
    {
        var runner = new ReplayRunner("showmount")
            .On("showmount --no-headers --exports nas1", 0, "/srv/images        192.168.1.0/24\n/srv/iso images  *\n/home    nas2,nas3\n");
        string xml = SourcesXml.Format(PoolType.NetFs, Backend(runner).FindSources(Spec("nas1")));
        Assert.Equal("""
            <sources>
              <source>
                <host name='nas1'/>
                <dir path='/srv/images'/>
                <format type='nfs'/>
              </source>
              <source>
                <host name='nas1'/>
                <dir path='/srv/iso images'/>
                <format type='nfs'/>
              </source>
              <source>
                <host name='nas1'/>
                <dir path='/home'/>
                <format type='nfs'/>
              </source>
            </sources>

            """, xml);
    }

    [Fact]
    public void FindSourcesAddsGlusterVolumesByName()
    {
        const string glusterXml = """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <cliOutput>
              <opRet>0</opRet>
              <opErrno>0</opErrno>
              <opErrstr/>
              <volInfo>
                <volumes>
                  <volume>
                    <name>gv0</name>
                    <id>5b1a0c7e-2f5e-4d8e-9a53-1f0a8f1f0c11</id>
                    <status>1</status>
                    <statusStr>Started</statusStr>
                  </volume>
                  <volume>
                    <name>backups</name>
                    <id>0d9c7a44-8b6f-4a3a-8c58-6a2d1f9e7b20</id>
                    <status>0</status>
                    <statusStr>Created</statusStr>
                  </volume>
                  <count>2</count>
                </volumes>
              </volInfo>
            </cliOutput>
            """;
        var runner = new ReplayRunner("showmount", "gluster")
            .On("showmount --no-headers --exports 127.0.0.1", 1, "", "clnt_create: RPC: Program not registered\n")
            .On("gluster --xml --log-file=/dev/null volume info all --remote-host=127.0.0.1", 0, glusterXml);
        string xml = SourcesXml.Format(PoolType.NetFs, Backend(runner).FindSources(Spec("127.0.0.1")));
        Assert.Equal("""
            <sources>
              <source>
                <host name='127.0.0.1'/>
                <dir path='gv0'/>
                <format type='glusterfs'/>
              </source>
              <source>
                <host name='127.0.0.1'/>
                <dir path='backups'/>
                <format type='glusterfs'/>
              </source>
            </sources>

            """, xml);
    }

    [Fact]
    public void NothingFoundAnywhereIsLibvirtsError()
    {
        var runner = new ReplayRunner("showmount", "gluster")
            .On("showmount --no-headers --exports 127.0.0.1", 1, "", "clnt_create: RPC: Program not registered\n")
            .On("gluster --xml --log-file=/dev/null volume info all --remote-host=127.0.0.1", 1, "", "Connection failed. Please check if gluster daemon is operational.\n");
        var e = Assert.Throws<StorageException>(() => Backend(runner).FindSources(Spec("127.0.0.1")));
        Assert.Equal("operation failed: no storage pools were found on host '127.0.0.1'", e.Display);
    }

    [Fact]
    public void WithoutEitherToolNothingIsFound()
    {
        var runner = new ReplayRunner("blkid");
        var e = Assert.Throws<StorageException>(() => Backend(runner).FindSources(Spec("nas1")));
        Assert.Equal("operation failed: no storage pools were found on host 'nas1'", e.Display);
        Assert.Empty(runner.Ran);
    }

    [Fact]
    public void AHostWithNoExportsAnswersAnEmptyList()
    {
        var runner = new ReplayRunner("showmount").On("showmount --no-headers --exports nas1", 0, "");
        Assert.Equal("<sources>\n</sources>\n", SourcesXml.Format(PoolType.NetFs, Backend(runner).FindSources(Spec("nas1"))));
    }

    [Fact]
    public void AnExportEndingInSlashCountsAsAFailedNfsQuery()
    {
        var runner = new ReplayRunner("showmount").On("showmount --no-headers --exports nas1", 0, "/srv/a/ *\n");
        var e = Assert.Throws<StorageException>(() => Backend(runner).FindSources(Spec("nas1")));
        Assert.Equal("operation failed: no storage pools were found on host 'nas1'", e.Display);
    }
}
