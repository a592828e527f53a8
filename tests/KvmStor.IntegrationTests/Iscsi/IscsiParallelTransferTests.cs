using System.Diagnostics;

namespace KvmStor.IntegrationTests.Iscsi;

/// <summary>
/// Transfers large enough to run over several sessions at once (16 MiB and up): the bytes land and come back in
/// order (also through a FIFO, which cannot seek), a partial last block is merged, and --sparse keeps its meaning.
/// </summary>
public sealed class IscsiParallelTransferTests : IDisposable
{
    private const long Mib = 1 << 20;
    private readonly KvmstorProcess _k = new();
    private readonly TgtdTarget _target = TgtdTarget.Start("iqn.2026-01.test.kvmstor:lanes", [new TgtdLun(40 * Mib, Thin: true)]);

    public void Dispose()
    {
        _target.Dispose();
        _k.Dispose();
    }

    private string Ok(params string[] args)
    {
        var (code, stdout, stderr) = _k.Run(args);
        Assert.True(code == 0, $"kvmstor {string.Join(' ', args)} failed: {stderr}");
        return stdout;
    }

    private string InRoot(string name) => Path.Combine(_k.Root, name);

    [Fact]
    public void Large_transfers_keep_every_byte_in_order_and_sparse_semantics()
    {
        string xml = InRoot("isl.xml");
        File.WriteAllText(xml, $"<pool type='iscsi-direct'>\n  <name>isl</name>\n  <source>\n    <host name='127.0.0.1' port='{_target.Port}'/>\n" +
            $"    <device path='{_target.Iqn}'/>\n    <initiator>\n      <iqn name='iqn.2026-01.test.kvmstor:lanes-initiator'/>\n    </initiator>\n  </source>\n</pool>\n");
        Ok("pool-define", xml);
        Ok("pool-start", "isl");

        // Random bytes over the whole LUN, then a shorter upload: its partial last block is merged with what was there.
        byte[] stale = new byte[40 * Mib];
        Random.Shared.NextBytes(stale);
        File.WriteAllBytes(InRoot("stale.bin"), stale);
        Ok("vol-upload", "unit:0:0:1", InRoot("stale.bin"), "--pool", "isl");
        byte[] fresh = new byte[40 * Mib - 700];
        Random.Shared.NextBytes(fresh);
        File.WriteAllBytes(InRoot("fresh.bin"), fresh);
        Ok("vol-upload", "unit:0:0:1", InRoot("fresh.bin"), "--pool", "isl");
        byte[] expected = [.. fresh, .. stale.AsSpan(fresh.Length)];
        Assert.True(expected.AsSpan().SequenceEqual(File.ReadAllBytes(_target.LunFile(1))), "LUN differs after the upload");

        // Downloading into a FIFO: the output cannot seek, so the pieces read in parallel must arrive in order.
        Assert.True(expected.AsSpan().SequenceEqual(DownloadThroughFifo()), "FIFO download differs");

        // --sparse: zero runs overwrite the stale data (and are unmapped on this thin LUN); a sparse download skips them.
        byte[] islands = new byte[40 * Mib];
        for (int mib = 1; mib < 40; mib += 7) Random.Shared.NextBytes(islands.AsSpan((int)(mib * Mib) + 333, 70_000));
        File.WriteAllBytes(InRoot("islands.bin"), islands);
        Ok("vol-upload", "unit:0:0:1", InRoot("islands.bin"), "--pool", "isl", "--sparse");
        Assert.True(islands.AsSpan().SequenceEqual(File.ReadAllBytes(_target.LunFile(1))), "LUN differs after the sparse upload");
        Assert.True(AllocatedBytes(_target.LunFile(1)) < 8 * Mib, $"LUN file allocates {AllocatedBytes(_target.LunFile(1))} bytes");
        Ok("vol-download", "unit:0:0:1", InRoot("back.bin"), "--pool", "isl", "--sparse");
        Assert.True(islands.AsSpan().SequenceEqual(File.ReadAllBytes(InRoot("back.bin"))), "sparse download differs");
        Assert.True(AllocatedBytes(InRoot("back.bin")) < 8 * Mib, $"download allocates {AllocatedBytes(InRoot("back.bin"))} bytes");
        Assert.True(islands.AsSpan().SequenceEqual(DownloadThroughFifo()), "FIFO download of the sparse LUN differs");
    }

    private byte[] DownloadThroughFifo()
    {
        string fifo = InRoot($"out-{Guid.NewGuid():N}");
        using (var mk = Process.Start("mkfifo", fifo)) mk.WaitForExit();
        using var download = _k.StartProcess("vol-download", "unit:0:0:1", fifo, "--pool", "isl", "--sparse");
        var received = new MemoryStream();
        using (var reader = new FileStream(fifo, FileMode.Open, FileAccess.Read)) reader.CopyTo(received);
        Assert.True(download.WaitForExit(60_000), "vol-download into a FIFO did not end");
        Assert.True(download.ExitCode == 0, download.StandardError.ReadToEnd());
        File.Delete(fifo);
        return received.ToArray();
    }

    private static long AllocatedBytes(string path)
    {
        using var p = Process.Start(new ProcessStartInfo("stat", ["-c", "%b %B", path]) { RedirectStandardOutput = true })!;
        var parts = p.StandardOutput.ReadToEnd().Trim().Split(' ');
        p.WaitForExit();
        return long.Parse(parts[0]) * long.Parse(parts[1]);
    }
}
