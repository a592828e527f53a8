namespace KvmStor.IntegrationTests.Server;

/// <summary>
/// The real virsh 9.0 against `kvmstor serve`, command by command, compared line by line with the same command run
/// through the kvmstor CLI directly on the same state (and with the files on disk).
/// </summary>
public sealed class VirshAgainstServeTests : IDisposable
{
    private readonly ServeFixture _f = new();
    private KvmstorProcess K => _f.Kvmstor;
    private string Pools => Path.Combine(K.Root, "pools");

    public void Dispose() => _f.Dispose();

    /// <summary>The command through the server and through the CLI: the same stdout, stderr and exit status.</summary>
    private string Same(params string[] args)
    {
        var viaServer = _f.Virsh(args);
        var direct = K.Run(args);
        Assert.Equal(direct.Stderr, viaServer.Stderr);
        Assert.Equal(direct.Stdout, viaServer.Stdout);
        Assert.Equal(direct.ExitCode, viaServer.ExitCode);
        return viaServer.Stdout;
    }

    private string Ok(params string[] args)
    {
        var (code, stdout, stderr) = _f.Virsh(args);
        Assert.True(code == 0, $"virsh {string.Join(' ', args)}: {stderr}");
        return stdout;
    }

    [Fact]
    public void A_pool_and_volume_session_matches_the_cli()
    {
        string p1 = Path.Combine(Pools, "p1");
        Assert.Equal("Pool p1 defined\n\n", Ok("pool-define-as", "p1", "dir", "--target", p1));
        Same("pool-list", "--all", "--details");
        Same("pool-dumpxml", "p1");
        Assert.Equal("Pool p1 built\n\n", Ok("pool-build", "p1"));
        Assert.True(Directory.Exists(p1));
        Assert.Equal("Pool p1 started\n\n", Ok("pool-start", "p1"));
        Same("pool-list", "--all", "--details");
        Same("pool-info", "p1");
        Same("pool-dumpxml", "p1");
        Same("pool-dumpxml", "--inactive", "p1");
        Assert.Equal("Pool p1 marked as autostarted\n\n", Ok("pool-autostart", "p1"));
        Same("pool-info", "p1");
        Assert.Equal("Pool p1 unmarked as autostarted\n\n", Ok("pool-autostart", "p1", "--disable"));
        Same("pool-uuid", "p1");

        Assert.Equal("Vol a.img created\n\n", Ok("vol-create-as", "p1", "a.img", "10M"));
        Assert.Equal("Vol b.qcow2 created\n\n", Ok("vol-create-as", "p1", "b.qcow2", "20M", "--format", "qcow2"));
        Assert.Equal(10L << 20, new FileInfo(Path.Combine(p1, "a.img")).Length);
        Assert.Equal(0, Run("qemu-img", "check", Path.Combine(p1, "b.qcow2")));
        Same("vol-list", "p1");
        Same("vol-list", "p1", "--details");
        Same("vol-info", "a.img", "--pool", "p1");
        Same("vol-info", "--bytes", "b.qcow2", "--pool", "p1");
        Same("vol-dumpxml", "b.qcow2", "--pool", "p1");
        Same("vol-path", "a.img", "--pool", "p1");
        Same("vol-key", "a.img", "--pool", "p1");
        Same("vol-name", Path.Combine(p1, "a.img"));
        Same("vol-pool", Path.Combine(p1, "a.img"));

        Assert.Equal("Size of volume 'a.img' successfully changed to 20M\n\n", Ok("vol-resize", "a.img", "20M", "--pool", "p1"));
        Assert.Equal(20L << 20, new FileInfo(Path.Combine(p1, "a.img")).Length);
        Same("vol-resize", "a.img", "5M", "--pool", "p1"); // the shrink refusal, same words
        File.WriteAllBytes(Path.Combine(p1, "w.img"), Enumerable.Repeat((byte)0xaa, 65536).ToArray());
        Ok("pool-refresh", "p1");
        Assert.Equal("Vol w.img wiped\n\n", Ok("vol-wipe", "w.img", "--pool", "p1"));
        Assert.All(File.ReadAllBytes(Path.Combine(p1, "w.img")), b => Assert.Equal(0, b));
        Assert.Equal("Vol c.img cloned from a.img\n\n", Ok("vol-clone", "a.img", "c.img", "--pool", "p1"));
        Assert.Equal(new FileInfo(Path.Combine(p1, "a.img")).Length, new FileInfo(Path.Combine(p1, "c.img")).Length);
        Same("vol-list", "p1", "--details");
        Assert.Equal("Vol c.img deleted\n\n", Ok("vol-delete", "c.img", "--pool", "p1"));
        Assert.False(File.Exists(Path.Combine(p1, "c.img")));
        Assert.Equal("Pool p1 refreshed\n\n", Ok("pool-refresh", "p1"));

        // Errors: missing pool, missing volume, bad XML, duplicates, state errors.
        Same("pool-info", "nosuch");
        Same("vol-info", "nosuch.img", "--pool", "p1");
        Same("vol-create-as", "p1", "a.img", "1M");
        Same("pool-start", "p1");
        Same("pool-undefine", "p1");
        string bad = Path.Combine(K.Root, "bad.xml");
        File.WriteAllText(bad, "<pool type='dir'>\n  <name>bad</name>\n  <target>\n</pool>\n");
        Same("pool-define", bad);
        Same("pool-define-as", "p1", "dir", "--target", Path.Combine(Pools, "other"));

        foreach (var v in new[] { "a.img", "b.qcow2", "w.img" }) Ok("vol-delete", v, "--pool", "p1");
        Assert.Equal("Pool p1 destroyed\n\n", Ok("pool-destroy", "p1"));
        Same("pool-list", "--all");
        Assert.Equal("Pool p1 deleted\n\n", Ok("pool-delete", "p1"));
        Assert.False(Directory.Exists(p1));
        Assert.Equal("Pool p1 has been undefined\n\n", Ok("pool-undefine", "p1"));
        Same("pool-list", "--all");
    }

    [Fact]
    public void A_pool_defined_with_the_cli_is_seen_at_once_through_the_server()
    {
        Assert.Equal(0, K.Run("pool-define-as", "cli1", "dir", "--target", Path.Combine(Pools, "cli1")).ExitCode);
        Assert.Contains(" cli1 ", Ok("pool-list", "--all"));
        Same("pool-info", "cli1");
        Assert.Equal(0, K.Run("pool-undefine", "cli1").ExitCode);
        Assert.DoesNotContain("cli1", Ok("pool-list", "--all"));
    }

    [Fact]
    public void Upload_and_download_with_and_without_sparse_are_byte_for_byte()
    {
        string p = Path.Combine(Pools, "st");
        Ok("pool-define-as", "st", "dir", "--target", p);
        Ok("pool-build", "st");
        Ok("pool-start", "st");
        var data = Enumerable.Range(0, 307200).Select(i => (byte)(i % 251)).ToArray();
        string up = Path.Combine(K.Root, "up.bin");
        File.WriteAllBytes(up, data);
        Ok("vol-create-as", "st", "data.img", "300K");
        Ok("vol-upload", "data.img", up, "--pool", "st");
        Assert.Equal(data, File.ReadAllBytes(Path.Combine(p, "data.img")));
        string down = Path.Combine(K.Root, "down.bin");
        Ok("vol-download", "data.img", down, "--pool", "st");
        Assert.Equal(data, File.ReadAllBytes(down));

        // A file with a 100 KiB hole in the middle: uploaded and downloaded as a sparse stream, the hole stays one.
        var sparse = (byte[])data.Clone();
        Array.Clear(sparse, 102400, 102400);
        string sparseUp = Path.Combine(K.Root, "sparse.bin");
        using (var f = File.Create(sparseUp))
        {
            f.Write(sparse, 0, 102400);
            f.Seek(204800, SeekOrigin.Begin);
            f.Write(sparse, 204800, 102400);
        }
        Ok("vol-create-as", "st", "sparse.img", "300K", "--allocation", "0");
        Ok("vol-upload", "--sparse", "sparse.img", sparseUp, "--pool", "st");
        Assert.Equal(sparse, File.ReadAllBytes(Path.Combine(p, "sparse.img")));
        Assert.True(AllocatedBytes(Path.Combine(p, "sparse.img")) <= 204800 + 8192);
        string sparseDown = Path.Combine(K.Root, "sparse-down.bin");
        Ok("vol-download", "--sparse", "sparse.img", sparseDown, "--pool", "st");
        Assert.Equal(sparse, File.ReadAllBytes(sparseDown));
        Assert.True(AllocatedBytes(sparseDown) <= 204800 + 8192);
        string plainDown = Path.Combine(K.Root, "plain-down.bin");
        Ok("vol-download", "sparse.img", plainDown, "--pool", "st");
        Assert.Equal(sparse, File.ReadAllBytes(plainDown));

        // Part of a volume, as libvirt: --offset/--length give exactly that range.
        string part = Path.Combine(K.Root, "part.bin");
        Ok("vol-download", "data.img", part, "--pool", "st", "--offset", "1000", "--length", "3000");
        Assert.Equal(data.AsSpan(1000, 3000).ToArray(), File.ReadAllBytes(part));

        // The read-only socket refuses downloads as libvirtd's does.
        var ro = _f.VirshAt(_f.ReadOnlyUri, "vol-download", "data.img", Path.Combine(K.Root, "x"), "--pool", "st");
        Assert.Equal(1, ro.ExitCode);
        Assert.Contains("error: operation forbidden: read only access prevents virStorageVolDownload", ro.Stderr);
    }

    [Fact]
    public void Secrets_through_the_server_match_the_cli()
    {
        string xml = Path.Combine(K.Root, "secret.xml");
        File.WriteAllText(xml, "<secret ephemeral='no' private='no'>\n  <uuid>11111111-2222-3333-4444-555555555555</uuid>\n  <usage type='ceph'>\n    <name>client.admin secret</name>\n  </usage>\n</secret>\n");
        const string uuid = "11111111-2222-3333-4444-555555555555";
        Assert.Equal($"Secret {uuid} created\n\n", Ok("secret-define", xml));
        Same("secret-list");
        Same("secret-dumpxml", uuid);
        Assert.Equal("Secret value set\n\n", Ok("secret-set-value", uuid, "--base64", "c2VjcmV0"));
        Same("secret-get-value", uuid);
        Assert.Equal("c2VjcmV0\n", Ok("secret-get-value", uuid).TrimEnd('\n') + "\n");
        Same("secret-dumpxml", "99999999-2222-3333-4444-555555555555");
        var ro = _f.VirshAt(_f.ReadOnlyUri, "secret-get-value", uuid);
        Assert.Contains("read only access prevents virSecretGetValue", ro.Stderr);
        Assert.Equal($"Secret {uuid} deleted\n\n", Ok("secret-undefine", uuid));
        Same("secret-list");
    }

    [Fact]
    public void The_read_only_socket_lists_but_refuses_changes()
    {
        Ok("pool-define-as", "r1", "dir", "--target", Path.Combine(Pools, "r1"));
        var list = _f.VirshAt(_f.ReadOnlyUri, "pool-list", "--all");
        Assert.Equal(0, list.ExitCode);
        Assert.Contains(" r1 ", list.Stdout);
        var refused = _f.VirshAt(_f.ReadOnlyUri, "pool-build", "r1");
        Assert.Equal("error: Failed to build pool r1\nerror: operation forbidden: read only access prevents virStoragePoolBuild\n", refused.Stderr);
        Assert.False(Directory.Exists(Path.Combine(Pools, "r1")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_f.Socket));
        // The read-only twin is world-connectable, as libvirtd's (ServePermissionTests runs a stranger through it).
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite
                     | UnixFileMode.OtherRead | UnixFileMode.OtherWrite, File.GetUnixFileMode(_f.Socket + "-ro"));
    }

    [Fact]
    public void Pool_event_through_the_server_receives_events_of_a_cli_process()
    {
        Ok("pool-define-as", "ev", "dir", "--target", Path.Combine(Pools, "ev"));
        var listener = Task.Run(() => _f.Virsh("pool-event", "--event", "lifecycle", "--loop", "--timeout", "4"));
        Thread.Sleep(1500);
        Assert.Equal(0, K.Run("pool-build", "ev").ExitCode);
        Assert.Equal(0, K.Run("pool-start", "ev").ExitCode);
        Assert.Equal(0, K.Run("pool-destroy", "ev").ExitCode);
        var (code, stdout, _) = listener.Result;
        Assert.Equal(0, code);
        Assert.Equal("event 'lifecycle' for storage pool ev: Created\nevent 'lifecycle' for storage pool ev: Started\n"
                     + "event 'lifecycle' for storage pool ev: Stopped\nevent loop timed out\nevents received: 3\n\n", stdout);
    }

    private static long AllocatedBytes(string path)
    {
        var (_, stdout, _) = RunOut("stat", "-c", "%b %B", path);
        var parts = stdout.Trim().Split(' ');
        return long.Parse(parts[0]) * long.Parse(parts[1]);
    }

    private static int Run(string program, params string[] args) => RunOut(program, args).Item1;

    private static (int, string, string) RunOut(string program, params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        string o = p.StandardOutput.ReadToEnd(), e = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, o, e);
    }
}
