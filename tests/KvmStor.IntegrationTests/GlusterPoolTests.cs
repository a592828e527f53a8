namespace KvmStor.IntegrationTests;

/// <summary>
/// Native gluster pools (type='gluster') against the live glusterd, through the real binary: volumes named as libvirt
/// names them (network/netdir, key volume/dir/name, path gluster://host/volume/dir/name), their data checked on the
/// server's brick, capacity from the volume, the private mount gone after pool-destroy.
/// </summary>
[Collection(GlusterCollection.Name)]
public sealed class GlusterPoolTests(GlusterServerFixture gluster) : IDisposable
{
    private readonly KvmstorProcess _kvmstor = new();
    private string MountRoot => Path.Combine(_kvmstor.Root, "gluster-mounts");
    private Dictionary<string, string> Env => new() { ["KVMSTOR_GLUSTER_MOUNT_ROOT"] = MountRoot };

    public void Dispose()
    {
        foreach (var line in File.ReadAllLines("/proc/self/mounts"))
        {
            var f = line.Split(' ');
            if (f.Length > 1 && f[1].StartsWith(MountRoot + "/", StringComparison.Ordinal))
                GlusterServer.Exec(TimeSpan.FromSeconds(15), "umount", "-l", f[1]);
        }
        GlusterServer.RemoveClientLogsUnder(_kvmstor.Root);
        _kvmstor.Dispose();
    }

    [Fact]
    public void VolumesOfAGlusterPoolAreNamedAsLibvirtNamesThemAndLiveOnTheServer()
    {
        string volume = gluster.NewVolume("kp");
        string brick = gluster.Server.BrickDirectory(volume);
        Ok("pool-define-as", "gpool", "gluster", "--source-host", "127.0.0.1", "--source-name", volume, "--source-path", "/");
        Ok("pool-start", "gpool");
        string mountPoint = Assert.Single(Directory.GetDirectories(MountRoot));
        Assert.True(GlusterNetFsTests.IsMounted(mountPoint));

        var info = Ok("pool-info", "--bytes", "gpool");
        Assert.Matches(@"Capacity:\s+[1-9]\d*", info);
        string pool = Ok("pool-dumpxml", "gpool");
        Assert.Contains("<pool type='gluster'>", pool);
        Assert.DoesNotContain("<target>", pool);

        Ok("vol-create-as", "gpool", "a.raw", "8M");
        Ok("vol-create-as", "gpool", "b.qcow2", "32M", "--format", "qcow2");
        var check = GlusterServer.Exec(TimeSpan.FromSeconds(60), "qemu-img", "check", Path.Combine(brick, "b.qcow2"));
        Assert.True(check.ExitCode == 0, check.Output);

        string xml = Ok("vol-dumpxml", "--pool", "gpool", "a.raw");
        Assert.StartsWith("<volume type='network'>", xml);
        Assert.Contains($"<key>{volume}/a.raw</key>", xml);
        Assert.Contains($"<path>gluster://127.0.0.1/{volume}/a.raw</path>", xml);
        Assert.Contains("<format type='qcow2'/>", Ok("vol-dumpxml", "--pool", "gpool", "b.qcow2"));
        // Lookups by key and by path, as vol-info without --pool does.
        Assert.Contains("a.raw", Ok("vol-info", $"{volume}/a.raw"));
        Assert.Contains("a.raw", Ok("vol-info", $"gluster://127.0.0.1/{volume}/a.raw"));
        Assert.Equal($"gluster://127.0.0.1/{volume}/a.raw", Ok("vol-path", "--pool", "gpool", "a.raw").Trim());

        // A directory made on the volume is a netdir volume.
        string clientMount = gluster.Server.Mount(volume);
        Directory.CreateDirectory(Path.Combine(clientMount, "isos"));
        Assert.StartsWith("<volume type='netdir'>", Ok("vol-dumpxml", "--pool", "gpool", "isos"));

        byte[] data = new byte[5 << 20];
        new Random(11).NextBytes(data);
        string upload = Path.Combine(_kvmstor.Root, "up.bin"), download = Path.Combine(_kvmstor.Root, "down.bin");
        File.WriteAllBytes(upload, data);
        Ok("vol-upload", "--pool", "gpool", "a.raw", upload);
        Assert.Equal(data, File.ReadAllBytes(Path.Combine(brick, "a.raw")).AsSpan(0, data.Length).ToArray());
        Ok("vol-clone", "--pool", "gpool", "a.raw", "c.raw");
        Ok("vol-download", "--pool", "gpool", "c.raw", download);
        Assert.Equal(data, File.ReadAllBytes(download).AsSpan(0, data.Length).ToArray());

        // A guest disk from the pool opens through qemu's gluster driver: server, volume, path inside it.
        string domain = Path.Combine(_kvmstor.Root, "guest.xml");
        File.WriteAllText(domain, "<domain type='kvm'><name>gg</name><memory unit='MiB'>64</memory><devices/></domain>");
        Ok("define", domain);
        Ok("attach-disk", "gg", "--pool", "gpool", "--vol", "b.qcow2", "--target", "vdb");
        string argv = Ok("domxml-to-native", "qemu-argv", "--domain", "gg");
        Assert.Contains($"driver=gluster,volume={volume},path=b.qcow2,server.0.type=inet,server.0.host=127.0.0.1,server.0.port=24007", argv);
        Assert.Contains("driver=qcow2", argv);
        Ok("undefine", "gg");

        Ok("vol-delete", "--pool", "gpool", "c.raw");
        Assert.False(File.Exists(Path.Combine(brick, "c.raw")));
        Ok("pool-refresh", "gpool");
        Ok("pool-destroy", "gpool");
        Assert.False(GlusterNetFsTests.IsMounted(mountPoint));
        Assert.False(Directory.Exists(mountPoint));
        Assert.True(File.Exists(Path.Combine(brick, "a.raw")), "the data stays on the server");
        Ok("pool-undefine", "gpool");
    }

    [Fact]
    public void APoolOnADirectoryOfTheVolumeSeesOnlyThatDirectory()
    {
        string volume = gluster.NewVolume("ks");
        string clientMount = gluster.Server.Mount(volume);
        Directory.CreateDirectory(Path.Combine(clientMount, "vms"));
        File.WriteAllText(Path.Combine(clientMount, "outside.img"), "x");
        Ok("pool-define-as", "gsub", "gluster", "--source-host", "127.0.0.1", "--source-name", volume, "--source-path", "/vms");
        Ok("pool-start", "gsub");
        Ok("vol-create-as", "gsub", "inside.img", "1M");
        string list = Ok("vol-list", "gsub");
        Assert.Contains($"gluster://127.0.0.1/{volume}/vms/inside.img", list);
        Assert.DoesNotContain("outside.img", list);
        Assert.Contains($"<key>{volume}/vms/inside.img</key>", Ok("vol-dumpxml", "--pool", "gsub", "inside.img"));
        Assert.True(File.Exists(Path.Combine(gluster.Server.BrickDirectory(volume), "vms", "inside.img")));
        Ok("pool-destroy", "gsub");
    }

    [Fact]
    public void AVolumeThatDoesNotExistCannotBeStartedAndSourcesAreListedByName()
    {
        string volume = gluster.NewVolume("kx");
        Ok("pool-define-as", "gbad", "gluster", "--source-host", "127.0.0.1", "--source-name", "no-such-volume");
        var (code, _, stderr) = _kvmstor.RunWith(Env, "pool-start", "gbad");
        Assert.Equal(1, code);
        Assert.Contains("error: failed to connect to gluster://127.0.0.1/no-such-volume/: ", stderr);
        Assert.Equal("", string.Join(" ", Directory.Exists(MountRoot) ? Directory.GetFileSystemEntries(MountRoot) : []));

        string sources = Ok("find-storage-pool-sources-as", "gluster", "127.0.0.1");
        Assert.Contains($"""
                <source>
                  <host name='127.0.0.1'/>
                  <name>{volume}</name>
                </source>
              """, sources);
    }

    private string Ok(params string[] args)
    {
        var (code, stdout, stderr) = _kvmstor.RunWith(Env, args);
        Assert.True(code == 0, $"kvmstor {string.Join(' ', args)} failed ({code}): {stderr}{stdout}");
        return stdout;
    }
}
