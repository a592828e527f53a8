namespace KvmStor.IntegrationTests;

/// <summary>Many kvmstor processes changing the same state at once must never lose or corrupt a definition.</summary>
public sealed class ConcurrencyTests : IDisposable
{
    private readonly KvmstorProcess _kvmstor = new();

    public void Dispose() => _kvmstor.Dispose();

    [Fact]
    public void Eight_processes_defining_starting_destroying_and_undefining_fifty_pools_each()
    {
        const int Workers = 8, PoolsPerWorker = 50;
        string pools = Path.Combine(_kvmstor.Root, "pools");
        // Each worker runs the whole life cycle of its 50 pools, keeps every fifth one defined and running, and
        // also races the others to define one shared name (exactly one may win).
        var workers = Enumerable.Range(0, Workers).Select(w => _kvmstor.StartScript($$"""
            set -u
            fail=0
            for i in $(seq 0 {{PoolsPerWorker - 1}}); do
              n=w{{w}}p$i
              "$KVMSTOR" -q pool-define-as $n dir --target {{pools}}/$n >/dev/null || fail=1
              "$KVMSTOR" -q pool-start $n --build >/dev/null || fail=1
              if [ $((i % 5)) -ne 0 ]; then
                "$KVMSTOR" -q pool-destroy $n >/dev/null || fail=1
                "$KVMSTOR" -q pool-undefine $n >/dev/null || fail=1
              fi
            done
            "$KVMSTOR" -q pool-define-as shared dir --target {{pools}}/shared-{{w}} >/dev/null 2>&1
            exit $fail
            """)).ToList();

        foreach (var w in workers)
        {
            Assert.True(w.WaitForExit(TimeSpan.FromMinutes(10)), "worker timed out");
            Assert.True(w.ExitCode == 0, "a worker's command failed: " + w.StandardError.ReadToEnd());
        }

        var expected = Enumerable.Range(0, Workers)
            .SelectMany(w => Enumerable.Range(0, PoolsPerWorker).Where(i => i % 5 == 0).Select(i => $"w{w}p{i}"))
            .ToHashSet();

        var (code, stdout, _) = _kvmstor.Run("pool-list", "--all", "--name");
        Assert.Equal(0, code);
        var listed = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()).Where(l => l.Length > 0).ToHashSet();
        Assert.Contains("shared", listed);
        listed.Remove("shared");
        Assert.Equal(expected.OrderBy(x => x), listed.OrderBy(x => x));

        var (_, active, _) = _kvmstor.Run("pool-list", "--name");
        Assert.Equal(expected.Count, active.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(l => l.Trim().Length > 0));

        // Exactly the surviving definitions exist on disk, each a complete, parseable file; no temp files remain.
        var configs = Directory.GetFiles(_kvmstor.ConfigDirectory).Select(Path.GetFileName).ToHashSet();
        Assert.Equal(expected.Select(n => n + ".xml").Append("shared.xml").OrderBy(x => x), configs.OrderBy(x => x));
        foreach (var name in expected)
        {
            var (rc, xml, err) = _kvmstor.Run("pool-dumpxml", name);
            Assert.True(rc == 0, err);
            Assert.Contains($"<name>{name}</name>", xml);
        }
        var statusFiles = Directory.GetFiles(_kvmstor.StateDirectory, "*.xml").Select(Path.GetFileNameWithoutExtension).ToHashSet();
        Assert.Equal(expected.OrderBy(x => x), statusFiles.OrderBy(x => x));
    }
}
