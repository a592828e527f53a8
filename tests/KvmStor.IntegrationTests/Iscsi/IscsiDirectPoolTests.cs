using System.Diagnostics;

namespace KvmStor.IntegrationTests.Iscsi;

/// <summary>
/// iscsi-direct pools end to end through the real kvmstor binary against the project's own tgtd on 127.0.0.1:
/// define, start, list, info, dumpxml, upload/download, wipe, discovery, CHAP (right and wrong), a target that stops
/// answering mid-transfer, stop. Expected XML is libvirt 9.0's (golden vol-iscsi-direct-lun) with our port and IQN.
/// </summary>
public sealed class IscsiDirectPoolTests : IDisposable
{
    private const string Initiator = "iqn.2026-01.test.kvmstor:initiator";
    private const long Mib = 1 << 20;
    private readonly KvmstorProcess _k = new();
    private readonly List<TgtdTarget> _targets = [];

    public void Dispose()
    {
        foreach (var t in _targets) t.Dispose();
        _k.Dispose();
    }

    private TgtdTarget StartTarget(string name, (string, string)? chap = null)
    {
        var target = TgtdTarget.Start($"iqn.2026-01.test.kvmstor:{name}",
            [new TgtdLun(16 * Mib), new TgtdLun(8 * Mib, Thin: true)], chap);
        _targets.Add(target);
        return target;
    }

    private string Ok(params string[] args)
    {
        var (code, stdout, stderr) = _k.Run(args);
        Assert.True(code == 0, $"kvmstor {string.Join(' ', args)} failed: {stderr}");
        return stdout;
    }

    private string PoolXml(string name, TgtdTarget target, string? auth = null) =>
        $"<pool type='iscsi-direct'>\n  <name>{name}</name>\n  <source>\n    <host name='127.0.0.1' port='{target.Port}'/>\n" +
        $"    <device path='{target.Iqn}'/>\n{auth}    <initiator>\n      <iqn name='{Initiator}'/>\n    </initiator>\n  </source>\n</pool>\n";

    private void Define(string name, TgtdTarget target, string? auth = null)
    {
        string file = Path.Combine(_k.Root, name + ".xml");
        File.WriteAllText(file, PoolXml(name, target, auth));
        Ok("pool-define", file);
    }

    private string Key(TgtdTarget target, int lun) => $"ip-127.0.0.1:{target.Port}-iscsi-{target.Iqn}-lun-{lun}";

    [Fact]
    public void Life_cycle_without_chap()
    {
        var target = StartTarget("plain");
        Define("isd", target);
        Assert.Equal("Pool isd started\n\n", Ok("pool-start", "isd"));

        // libvirt's listing: LUN 0 is tgtd's controller (size 0). Capacities are the LUNs' true sizes (libvirt 9.0's are
        // one block short: it takes READ CAPACITY's last LBA for the block count).
        string list = Ok("vol-list", "isd");
        Assert.Contains($" unit:0:0:0   {Key(target, 0)}\n", list);
        Assert.Contains($" unit:0:0:1   {Key(target, 1)}\n", list);
        Assert.Contains($" unit:0:0:2   {Key(target, 2)}\n", list);
        Assert.Equal(
            $"<volume type='network'>\n  <name>unit:0:0:1</name>\n  <key>{Key(target, 1)}</key>\n" +
            $"  <capacity unit='bytes'>{16 * Mib}</capacity>\n  <allocation unit='bytes'>{16 * Mib}</allocation>\n" +
            $"  <target>\n    <path>{Key(target, 1)}</path>\n  </target>\n</volume>\n\n",
            Ok("vol-dumpxml", "unit:0:0:1", "--pool", "isd"));
        Assert.Contains("<capacity unit='bytes'>0</capacity>", Ok("vol-dumpxml", Key(target, 0)));
        Assert.Equal("Name:           unit:0:0:2\nType:           network\nCapacity:       8.00 MiB\nAllocation:     8.00 MiB\n\n",
            Ok("vol-info", "unit:0:0:2", "--pool", "isd"));
        Assert.Contains($"Capacity:       24.00 MiB\nAllocation:     24.00 MiB\nAvailable:      0.00 B\n", Ok("pool-info", "isd"));
        Assert.Contains($"Capacity:       {8 * Mib} bytes\nAllocation:     {8 * Mib} bytes\n", Ok("vol-info", "unit:0:0:2", "--pool", "isd", "--bytes"));
        Assert.Contains($"Capacity:       {24 * Mib}\nAllocation:     {24 * Mib}\n", Ok("pool-info", "isd", "--bytes"));

        // Upload then download the whole LUN: the bytes come back, and they are in the backing file.
        byte[] data = new byte[16 * Mib];
        Random.Shared.NextBytes(data);
        Array.Clear(data, (int)(4 * Mib), (int)(3 * Mib));
        string src = Path.Combine(_k.Root, "src.bin"), back = Path.Combine(_k.Root, "back.bin");
        File.WriteAllBytes(src, data);
        Ok("vol-upload", "unit:0:0:1", src, "--pool", "isd");
        Ok("vol-download", "unit:0:0:1", back, "--pool", "isd");
        Assert.Equal(data, File.ReadAllBytes(back));
        Assert.Equal(data, File.ReadAllBytes(target.LunFile(1)));
        // What vol-info says is what a download returns.
        Assert.Contains($"Capacity:       {new FileInfo(back).Length} bytes\n", Ok("vol-info", "unit:0:0:1", "--pool", "isd", "--bytes"));

        // A ranged download reads exactly the range.
        Ok("vol-download", "unit:0:0:1", back, "--pool", "isd", "--offset", "1000", "--length", "70000");
        Assert.Equal(data.AsSpan(1000, 70000).ToArray(), File.ReadAllBytes(back));

        // Wipe: zeros through kvmstor's download and in the backing file.
        Assert.Equal("Vol unit:0:0:1 wiped\n\n", Ok("vol-wipe", "unit:0:0:1", "--pool", "isd"));
        Ok("vol-download", "unit:0:0:1", back, "--pool", "isd");
        Assert.False(File.ReadAllBytes(back).AsSpan().ContainsAnyExcept((byte)0));
        Assert.False(File.ReadAllBytes(target.LunFile(1)).AsSpan().ContainsAnyExcept((byte)0));

        var (code, _, stderr) = _k.Run("vol-wipe", "unit:0:0:1", "--pool", "isd", "--algorithm", "dod");
        Assert.Equal(1, code);
        Assert.Contains("error: invalid argument: unsupported algorithm 2", stderr);

        // Volumes are the target's LUNs: libvirt's refusals for the rest.
        (code, _, stderr) = _k.Run("vol-create-as", "isd", "new", "1M");
        Assert.Equal(1, code);
        Assert.Contains("storage pool does not support volume creation", stderr);
        (code, _, stderr) = _k.Run("vol-delete", "unit:0:0:2", "--pool", "isd");
        Assert.Equal(1, code);
        Assert.Contains("storage pool does not support vol deletion", stderr);
        (code, _, stderr) = _k.Run("vol-resize", "unit:0:0:2", "16M", "--pool", "isd");
        Assert.Equal(1, code);
        Assert.Contains("storage pool does not support changing of volume capacity", stderr);

        Assert.Equal("Pool isd destroyed\n\n", Ok("pool-destroy", "isd"));
        Ok("pool-undefine", "isd");
    }

    [Fact]
    public void Sparse_upload_leaves_no_stale_data_and_sparse_download_skips_holes()
    {
        var target = StartTarget("sparse");
        Define("iss", target);
        Ok("pool-start", "iss");
        string old = Path.Combine(_k.Root, "old.bin"), src = Path.Combine(_k.Root, "src.bin"), back = Path.Combine(_k.Root, "back.bin");
        byte[] stale = new byte[8 * Mib];
        Random.Shared.NextBytes(stale);
        File.WriteAllBytes(old, stale);
        Ok("vol-upload", "unit:0:0:2", old, "--pool", "iss");

        // Mostly zeros with data islands: with --sparse the zero runs must still overwrite the stale bytes.
        byte[] data = new byte[8 * Mib];
        Random.Shared.NextBytes(data.AsSpan(0, 4096));
        Random.Shared.NextBytes(data.AsSpan((int)(5 * Mib), 12345));
        File.WriteAllBytes(src, data);
        Ok("vol-upload", "unit:0:0:2", src, "--pool", "iss", "--sparse");
        Assert.Equal(data, File.ReadAllBytes(target.LunFile(2)));

        // The thin LUN's zero runs were given back (WRITE SAME with UNMAP), and a sparse download keeps them holes.
        Assert.True(AllocatedBytes(target.LunFile(2)) < 2 * Mib, $"LUN file allocates {AllocatedBytes(target.LunFile(2))} bytes");
        Ok("vol-download", "unit:0:0:2", back, "--pool", "iss", "--sparse");
        Assert.Equal(data, File.ReadAllBytes(back));
        Assert.True(AllocatedBytes(back) < 2 * Mib, $"download allocates {AllocatedBytes(back)} bytes");
    }

    [Fact]
    public void Discovery_lists_the_portal_targets()
    {
        var target = StartTarget("disco");
        string expected = $"<sources>\n  <source>\n    <host name='127.0.0.1' port='{target.Port}'/>\n    <device path='{target.Iqn}'/>\n" +
                          $"    <initiator>\n      <iqn name='{Initiator}'/>\n    </initiator>\n  </source>\n</sources>\n\n";
        Assert.Equal(expected, Ok("find-storage-pool-sources-as", "iscsi-direct", "127.0.0.1", target.Port.ToString(), "--initiator", Initiator));
        string spec = Path.Combine(_k.Root, "spec.xml");
        File.WriteAllText(spec, $"<source><host name='127.0.0.1' port='{target.Port}'/><initiator><iqn name='{Initiator}'/></initiator></source>");
        Assert.Equal(expected, Ok("find-storage-pool-sources", "iscsi-direct", spec));

        var (code, _, stderr) = _k.Run("find-storage-pool-sources-as", "iscsi-direct", "127.0.0.1", target.Port.ToString());
        Assert.Equal(1, code);
        Assert.Contains("error: unsupported configuration: missing initiator IQN", stderr);
    }

    [Fact]
    public void Chap_login_with_the_secret_and_a_clear_refusal_for_a_wrong_one()
    {
        const string password = "s3cret-Chap-pw";
        var target = StartTarget("chap", ("kvmuser", password));
        string usage = "kvmstor-it-chap-" + Guid.NewGuid().ToString("N")[..8];
        string secretXml = Path.Combine(_k.Root, "secret.xml"), value = Path.Combine(_k.Root, "value");
        File.WriteAllText(secretXml, $"<secret ephemeral='no' private='yes'><usage type='iscsi'><target>{usage}</target></usage></secret>");
        Ok("secret-define", secretXml);
        File.WriteAllText(value, password);
        Ok("secret-set-value", usage, "--file", value, "--plain");

        // pool-define-as with virsh's auth options (virsh has no port option there: the XML gets our port added).
        string printed = Ok("pool-define-as", "isc", "iscsi-direct", "--source-host", "127.0.0.1", "--source-dev", target.Iqn,
            "--source-initiator", Initiator, "--auth-type", "chap", "--auth-username", "kvmuser", "--secret-usage", usage, "--print-xml");
        Assert.Contains($"<auth type='chap' username='kvmuser'>\n      <secret usage='{usage}'/>\n    </auth>", printed);
        string poolFile = Path.Combine(_k.Root, "isc.xml");
        File.WriteAllText(poolFile, printed.Replace("<host name='127.0.0.1'/>", $"<host name='127.0.0.1' port='{target.Port}'/>"));
        Ok("pool-define", poolFile);
        Assert.Contains($"<auth type='chap' username='kvmuser'>\n      <secret usage='{usage}'/>\n    </auth>", Ok("pool-dumpxml", "isc"));
        Ok("pool-start", "isc");
        Assert.Contains(" unit:0:0:1 ", Ok("vol-list", "isc"));

        // A wrong password: refused, and no password in the message.
        File.WriteAllText(value, "wrong-password");
        Ok("secret-set-value", usage, "--file", value, "--plain");
        var (code, _, stderr) = _k.Run("vol-list", "isc");
        Assert.Equal(1, code);
        Assert.Contains("Failed to login to iSCSI target " + target.Iqn, stderr);
        Assert.DoesNotContain("wrong-password", stderr);
        Assert.DoesNotContain(password, stderr);
        (code, _, stderr) = _k.Run("pool-refresh", "isc");
        Assert.Equal(1, code);
        Assert.Contains("Failed to login to iSCSI target", stderr);

        // As in libvirt, a pool whose refresh fails is no longer active.
        Assert.Contains("State:          inactive\n", Ok("pool-info", "isc"));

        // The same target without <auth>: refused as well.
        Ok("pool-undefine", "isc");
        Define("isnoauth", target);
        (code, _, stderr) = _k.Run("pool-start", "isnoauth");
        Assert.Equal(1, code);
        Assert.Contains("Failed to login to iSCSI target", stderr);
    }

    [Fact]
    public async Task A_target_that_stops_answering_fails_the_command_within_the_bound_and_other_pools_keep_working()
    {
        var target = StartTarget("hang");
        Define("ish", target);
        Ok("pool-start", "ish");
        string dirPool = Path.Combine(_k.Root, "dirpool");
        Ok("pool-define-as", "d1", "dir", "--target", dirPool);
        Ok("pool-build", "d1");
        Ok("pool-start", "d1");

        var bound = new Dictionary<string, string> { ["KVMSTOR_NETWORK_TIMEOUT"] = "2" };
        // Upload from a FIFO we feed: the first 4 MiB go through, then the target freezes, then more data follows.
        string fifo = Path.Combine(_k.Root, "feed");
        using (var mk = Process.Start("mkfifo", fifo)) mk.WaitForExit();
        using var upload = _k.StartProcess(bound, "vol-upload", "unit:0:0:1", fifo, "--pool", "ish");
        var firstPartSent = new ManualResetEventSlim();
        var frozen = new ManualResetEventSlim();
        var feeder = Task.Run(() =>
        {
            try
            {
                using var w = new FileStream(fifo, FileMode.Open, FileAccess.Write);
                w.Write(new byte[4 * Mib]);
                w.Flush();
                firstPartSent.Set();
                frozen.Wait();
                w.Write(new byte[4 * Mib]);
            }
            catch (IOException)
            {
                // kvmstor gave up and closed its end: expected.
            }
            finally
            {
                firstPartSent.Set();
            }
        });
        Assert.True(firstPartSent.Wait(15_000));
        Thread.Sleep(500);
        target.Suspend();
        var clock = Stopwatch.StartNew();
        frozen.Set();
        Assert.True(upload.WaitForExit(15_000), "upload still running 15 s after the target froze");
        string stderr = upload.StandardError.ReadToEnd();
        Assert.Equal(1, upload.ExitCode);
        Assert.True(stderr.Contains("Timed out during operation: iSCSI"), stderr);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"took {clock.Elapsed} after the freeze");
        await feeder.WaitAsync(TimeSpan.FromSeconds(5));

        // A listing against the frozen target also ends within the bound; the dir pool is untouched by all this.
        clock.Restart();
        var (code, _, err) = _k.RunWith(bound, "vol-list", "ish");
        Assert.Equal(1, code);
        Assert.Contains("Timed out during operation", err);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"vol-list took {clock.Elapsed}");
        Ok("vol-create-as", "d1", "v1", "1M");
        Assert.Contains(" v1 ", Ok("vol-list", "d1"));
        target.Resume();
    }

    [Fact]
    public void A_target_killed_during_a_download_fails_it_at_once_with_the_reason()
    {
        var target = StartTarget("killed");
        Define("isk", target);
        Ok("pool-start", "isk");
        string back = Path.Combine(_k.Root, "back.bin");
        var bound = new Dictionary<string, string> { ["KVMSTOR_NETWORK_TIMEOUT"] = "20" };
        // Downloading into a FIFO nobody reads yet holds kvmstor mid-transfer while tgtd dies.
        using (var mk = Process.Start("mkfifo", back)) mk.WaitForExit();
        using var download = _k.StartProcess(bound, "vol-download", "unit:0:0:1", back, "--pool", "isk");
        using (var reader = new FileStream(back, FileMode.Open, FileAccess.Read))
        {
            var first = new byte[1 << 20];
            Assert.True(reader.Read(first) > 0);
            target.Kill();
            var clock = Stopwatch.StartNew();
            var sink = new byte[1 << 20];
            while (reader.Read(sink) > 0) { }
            Assert.True(download.WaitForExit(10_000), "vol-download still running 10 s after the target died");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10));
        }
        string stderr = download.StandardError.ReadToEnd();
        Assert.True(download.ExitCode == 1, $"exit status {download.ExitCode}, stderr: {stderr}");
        Assert.True(stderr.Contains("error: internal error: iSCSI READ(16) failed on " + target.Iqn), stderr);
    }

    private static long AllocatedBytes(string path)
    {
        using var p = Process.Start(new ProcessStartInfo("stat", ["-c", "%b %B", path]) { RedirectStandardOutput = true })!;
        var parts = p.StandardOutput.ReadToEnd().Trim().Split(' ');
        p.WaitForExit();
        return long.Parse(parts[0]) * long.Parse(parts[1]);
    }
}
