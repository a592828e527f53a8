namespace KvmStor.IntegrationTests;

/// <summary>
/// Ordinary commands do not load OpenSSL: loading libssl and libcrypto and reading openssl.cnf cost a CLI command
/// about 2–4 ms of its CPU (pool-list went from 9 to 5.5 ms), and something as small as a random key made at start-up
/// pulled it in. The dynamic loader's own report (LD_DEBUG=libs) tells which libraries the process loaded.
/// </summary>
public sealed class StartupLibrariesTests : IDisposable
{
    private readonly KvmstorProcess _k = new();

    public void Dispose() => _k.Dispose();

    [Fact]
    public void Listing_creating_and_deleting_volumes_in_a_dir_pool_loads_no_openssl()
    {
        string target = Path.Combine(_k.Root, "pool");
        Must("pool-define-as", "p", "dir", "--target", target);
        Must("pool-build", "p");
        Must("pool-start", "p");
        foreach (var command in new[]
        {
            new[] { "pool-list", "--all" },
            ["vol-create-as", "p", "a.qcow2", "8M", "--format", "qcow2"],
            ["vol-list", "p", "--details"],
            ["vol-info", "--pool", "p", "a.qcow2"],
            ["vol-delete", "--pool", "p", "a.qcow2"],
        })
        {
            var (code, _, stderr) = _k.RunWith(new() { ["LD_DEBUG"] = "libs" }, command);
            Assert.True(code == 0, stderr);
            Assert.Contains("find library=libc.so.6", stderr); // the loader did report
            Assert.DoesNotContain("libcrypto", stderr);
            Assert.DoesNotContain("libssl", stderr);
        }
    }

    private void Must(params string[] args)
    {
        var (code, _, stderr) = _k.Run(args);
        Assert.True(code == 0, stderr);
    }
}
