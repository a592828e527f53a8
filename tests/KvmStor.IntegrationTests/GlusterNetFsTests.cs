using System.Diagnostics;

namespace KvmStor.IntegrationTests;

/// <summary>
/// netfs pools with &lt;format type='glusterfs'/&gt; against a live glusterd on 127.0.0.1, through the real kvmstor
/// binary: the FUSE mount, volumes on it (checked on the server's brick), unmount, source discovery.
/// </summary>
[Collection(GlusterCollection.Name)]
public sealed class GlusterNetFsTests(GlusterServerFixture gluster) : IDisposable
{
    private readonly KvmstorProcess _kvmstor = new();
    private string Target => Path.Combine(_kvmstor.Root, "pools", "gnet");

    public void Dispose()
    {
        // A failed test may leave the pool mounted: unmount before the temp directory goes.
        if (IsMounted(Target)) GlusterServer.Exec(TimeSpan.FromSeconds(15), "umount", "-l", Target);
        GlusterServer.RemoveClientLogsUnder(_kvmstor.Root);
        _kvmstor.Dispose();
    }

    [Fact]
    public void DefinedFromXmlTheWholeLifeCycleRunsOnTheLiveVolume()
    {
        string volume = gluster.NewVolume("kn");
        string brick = gluster.Server.BrickDirectory(volume);
        string xmlFile = Path.Combine(_kvmstor.Root, "pool.xml");
        File.WriteAllText(xmlFile, $"""
            <pool type='netfs'>
              <name>gnet</name>
              <source><host name='127.0.0.1'/><dir path='/{volume}'/><format type='glusterfs'/></source>
              <target><path>{Target}</path></target>
            </pool>
            """);
        Ok("pool-define", xmlFile);
        Ok("pool-build", "gnet");
        Assert.True(Directory.Exists(Target));
        Ok("pool-start", "gnet");
        Assert.True(IsMounted(Target), "pool-start mounts the volume through FUSE");
        Assert.Contains("running", Ok("pool-info", "gnet"));

        // Volumes land on the server: the brick holds the files.
        Ok("vol-create-as", "gnet", "a.raw", "16M", "--format", "raw");
        Ok("vol-create-as", "gnet", "b.qcow2", "64M", "--format", "qcow2");
        Assert.True(File.Exists(Path.Combine(brick, "a.raw")));
        Assert.Equal(16L << 20, new FileInfo(Path.Combine(brick, "a.raw")).Length);
        var check = GlusterServer.Exec(TimeSpan.FromSeconds(60), "qemu-img", "check", Path.Combine(Target, "b.qcow2"));
        Assert.True(check.ExitCode == 0, check.Output);
        Assert.Contains("<format type='qcow2'/>", Ok("vol-dumpxml", "--pool", "gnet", "b.qcow2"));

        // Upload, download, clone: byte for byte.
        byte[] data = new byte[3 << 20];
        new Random(7).NextBytes(data.AsSpan(1 << 20));
        string upload = Path.Combine(_kvmstor.Root, "up.bin"), download = Path.Combine(_kvmstor.Root, "down.bin");
        File.WriteAllBytes(upload, data);
        Ok("vol-upload", "--pool", "gnet", "a.raw", upload);
        Assert.Equal(data, File.ReadAllBytes(Path.Combine(brick, "a.raw")).AsSpan(0, data.Length).ToArray());
        Ok("vol-clone", "--pool", "gnet", "a.raw", "c.raw");
        Ok("vol-download", "--pool", "gnet", "c.raw", download);
        byte[] back = File.ReadAllBytes(download);
        Assert.Equal(16L << 20, back.Length);
        Assert.Equal(data, back.AsSpan(0, data.Length).ToArray());
        Assert.All(back.AsSpan(data.Length).ToArray(), b => Assert.Equal(0, b));

        string list = Ok("vol-list", "gnet");
        foreach (var name in new[] { "a.raw", "b.qcow2", "c.raw" }) Assert.Contains(name, list);
        Ok("vol-delete", "--pool", "gnet", "c.raw");
        Assert.False(File.Exists(Path.Combine(brick, "c.raw")));

        // Capacity is the volume's (statvfs through the mount, i.e. the brick's filesystem).
        Ok("pool-refresh", "gnet");
        Assert.Matches(@"Capacity:\s+\d", Ok("pool-info", "gnet"));

        Ok("pool-destroy", "gnet");
        Assert.False(IsMounted(Target), "pool-destroy unmounts");
        Assert.True(File.Exists(Path.Combine(brick, "a.raw")), "the data stays on the server");
        Ok("pool-delete", "gnet");
        Assert.False(Directory.Exists(Target));
        Ok("pool-undefine", "gnet");
    }

    [Fact]
    public void DefinedWithPoolDefineAsItMountsAndUnmounts()
    {
        string volume = gluster.NewVolume("kd");
        Ok("pool-define-as", "gnet", "netfs", "--source-host", "127.0.0.1", "--source-path", "/" + volume,
            "--source-format", "glusterfs", "--target", Target);
        string xml = Ok("pool-dumpxml", "gnet");
        Assert.Contains($"<dir path='/{volume}'/>", xml);
        Assert.Contains("<format type='glusterfs'/>", xml);
        Ok("pool-start", "--build", "gnet");
        Assert.True(IsMounted(Target));
        File.WriteAllText(Path.Combine(gluster.Server.BrickDirectory(volume), "made-on-server.img"), "x");
        Assert.Contains("made-on-server.img", Ok("vol-list", "gnet"));
        Ok("pool-destroy", "gnet");
        Assert.False(IsMounted(Target));
        Ok("pool-undefine", "gnet");
    }

    [Fact]
    public void FindSourcesListsTheLiveServersVolumesAsGlusterfs()
    {
        string volume = gluster.NewVolume("kf");
        string xml = Ok("find-storage-pool-sources-as", "netfs", "127.0.0.1");
        Assert.Contains($"""
                <source>
                  <host name='127.0.0.1'/>
                  <dir path='{volume}'/>
                  <format type='glusterfs'/>
                </source>
              """.Replace("\r", ""), xml);
    }

    private string Ok(params string[] args)
    {
        var (code, stdout, stderr) = _kvmstor.Run(args);
        Assert.True(code == 0, $"kvmstor {string.Join(' ', args)} failed ({code}): {stderr}{stdout}");
        return stdout;
    }

    internal static bool IsMounted(string mountPoint) =>
        File.ReadAllLines("/proc/self/mounts").Any(l => l.Split(' ') is var f && f.Length > 2 && f[1] == mountPoint);
}
