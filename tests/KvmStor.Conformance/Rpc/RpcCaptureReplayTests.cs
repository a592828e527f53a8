using Xunit.Abstractions;

namespace KvmStor.Conformance.Rpc;

/// <summary>
/// The libvirt 9.0 RPC captures replayed against `kvmstor serve`: how many of libvirtd's replies kvmstor reproduces.
/// Every capture is replayed; the ones that differ are listed with why. The test fails when fewer match than the
/// floor below (raise it as the server improves) or when one of the captures virsh's everyday commands depend on differs.
/// </summary>
public sealed class RpcCaptureReplayTests(ITestOutputHelper output)
{
    /// <summary>Captures that must match: the connect sequence, pool and volume life cycles, streams, secrets, errors.</summary>
    private static readonly string[] Required =
    [
        "001-connect-close.txt", "002-version.txt", "012-pool-define-as-dir.txt", "015-pool-build.txt", "016-pool-start.txt",
        "030-vol-create-as-raw.txt", "043-vol-upload.txt", "044-vol-download.txt", "060-err-pool-nonexistent.txt",
        "061-err-vol-nonexistent.txt", "121-secret-define.txt", "125-secret-get-value.txt", "151-raw-call-order-auth-and-open.txt", "153-raw-keepalive.txt",
    ];

    private const int MinimumMatches = 86;

    [Fact]
    public async Task Captures_replayed_against_kvmstor_serve()
    {
        await using var replay = new RpcReplay();
        var results = RpcCapture.Files().Select(f => replay.Replay(RpcCapture.Load(f))).ToList();
        int matched = results.Count(r => r.Matches);
        output.WriteLine($"{matched} of {results.Count} captures match libvirtd's replies");
        foreach (var r in results.Where(r => !r.Matches))
            output.WriteLine($"{r.Capture}:\n  " + string.Join("\n  ", r.Differences));
        File.WriteAllText(Path.Combine(AppContext.BaseDirectory, "rpc-replay-report.txt"),
            $"{matched} of {results.Count} match\n" + string.Join("\n", results.Select(r => (r.Matches ? "match    " : "DIFFERS  ") + r.Capture + (r.Matches ? "" : "\n    " + string.Join("\n    ", r.Differences)))));
        Assert.True(matched >= MinimumMatches, $"only {matched} captures match");
        foreach (var name in Required)
            Assert.True(results.Single(r => r.Capture == name).Matches, $"{name} differs: " + string.Join("; ", results.Single(r => r.Capture == name).Differences));
    }
}
