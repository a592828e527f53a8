using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Xunit.Abstractions;

namespace KvmStor.IntegrationTests;

/// <summary>
/// Six kvmstor processes at a time running random volume operations on one dir pool, over a few shared names so they
/// collide (clones in both directions and onto themselves, uploads from and downloads onto a volume's own file among
/// them). Every command must end within a bound (a deadlock fails the test instead of hanging it); afterwards the
/// listing and the directory agree, no build file is left, and every qcow2 passes qemu-img check.
/// </summary>
public sealed class VolumeConcurrencyTests : IDisposable
{
    private const int Workers = 6, OperationsPerWorker = 40;
    private static readonly TimeSpan CommandBound = TimeSpan.FromSeconds(30);
    private static readonly string[] Names = ["v0", "v1", "v2", "v3"];

    private readonly KvmstorProcess _kvmstor = new();
    private readonly string _poolDir;
    private readonly string _qcow2Image;

    private readonly ITestOutputHelper _output;

    public VolumeConcurrencyTests(ITestOutputHelper output)
    {
        _output = output;
        _poolDir = Path.Combine(_kvmstor.Root, "pool");
        Ok("pool-define-as", "p", "dir", "--target", _poolDir);
        Ok("pool-start", "p", "--build");
        // What uploads send: a valid qcow2 image, so a qcow2 volume stays a valid qcow2 whatever was uploaded into it.
        _qcow2Image = Path.Combine(_kvmstor.Root, "upload.qcow2");
        Qcow2QemuTools.RunOk("qemu-img", "create", "-q", "-f", "qcow2", _qcow2Image, "2M");
        Qcow2QemuTools.RunOk("qemu-io", "-f", "qcow2", "-c", "write -P 0x5a 0 256k", _qcow2Image);
    }

    public void Dispose() => _kvmstor.Dispose();

    private void Ok(params string[] args)
    {
        var (code, _, stderr) = _kvmstor.Run(args);
        Assert.True(code == 0, $"kvmstor {string.Join(' ', args)}: {stderr}");
    }

    private sealed record Outcome(string Command, int ExitCode, string Stderr, TimeSpan Took);

    [Fact]
    public async Task SixProcessesOfRandomVolumeOperationsOnOnePoolEndInAConsistentPool()
    {
        var outcomes = new ConcurrentQueue<Outcome>();
        var workers = Enumerable.Range(0, Workers).Select(w => Task.Factory.StartNew(() =>
        {
            var random = new Random(1500 + w); // fixed seeds: the same mix of operations every run
            string scratch = Directory.CreateDirectory(Path.Combine(_kvmstor.Root, $"worker{w}")).FullName;
            for (int i = 0; i < OperationsPerWorker; i++)
            {
                var outcome = RunBounded(NextOperation(random, scratch));
                outcomes.Enqueue(outcome);
                if (outcome.ExitCode == -1) return; // killed at the bound: reported below
            }
        }, TaskCreationOptions.LongRunning)).ToArray();
        var finished = Task.WhenAll(workers);
        Assert.True(await Task.WhenAny(finished, Task.Delay(TimeSpan.FromMinutes(5))) == finished, "the workers did not finish");

        var all = outcomes.ToList();
        foreach (var o in all) _output.WriteLine($"{o.Took.TotalMilliseconds,7:F0} ms  exit {o.ExitCode}  {o.Command}  {o.Stderr.Replace('\n', ' ')}");
        var hung = all.Where(o => o.ExitCode == -1).ToList();
        Assert.True(hung.Count == 0, "commands that did not end within the bound (killed): " + string.Join("; ", hung.Select(o => o.Command)));
        foreach (var o in all)
        {
            // Collisions make commands fail (the volume is gone, the name is taken): with virsh's one error, never a crash.
            Assert.True(o.ExitCode is 0 or 1, $"{o.Command}: exit {o.ExitCode}: {o.Stderr}");
            if (o.ExitCode == 1) Assert.True(o.Stderr.StartsWith("error: ") && !o.Stderr.Contains("   at "), $"{o.Command}: {o.Stderr}");
            else Assert.True(o.Stderr.Length == 0, $"{o.Command}: {o.Stderr}");
            if (IsSelfReference(o.Command))
                Assert.True(o.ExitCode == 1 && (o.Stderr.Contains("already in use.") || o.Stderr.Contains("itself") || o.Stderr.Contains("Storage volume not found")),
                    $"{o.Command} should have been refused: exit {o.ExitCode}: {o.Stderr}");
        }
        // Not a pool where everything failed for want of volumes (about half succeed here).
        Assert.True(all.Count(o => o.ExitCode == 0) >= all.Count / 5, $"only {all.Count(o => o.ExitCode == 0)} of {all.Count} commands succeeded");

        AssertPoolConsistent();
    }

    private string[] NextOperation(Random random, string scratch)
    {
        string a = Names[random.Next(Names.Length)], b = Names[random.Next(Names.Length)];
        string format = random.Next(2) == 0 ? "raw" : "qcow2";
        return random.Next(12) switch
        {
            0 or 1 or 2 => ["vol-create-as", "p", a, $"{1 + random.Next(4)}M", "--format", format],
            3 => ["vol-clone", a, b, "--pool", "p"],
            4 => ["vol-clone", a, a, "--pool", "p"],
            5 => ["vol-resize", a, $"{4 + random.Next(4)}M", "--pool", "p"],
            6 => ["vol-wipe", a, "--pool", "p"],
            7 => ["vol-upload", a, random.Next(3) == 0 ? Path.Combine(_poolDir, a) : _qcow2Image, "--pool", "p"],
            8 => ["vol-download", a, random.Next(3) == 0 ? Path.Combine(_poolDir, a) : Path.Combine(scratch, "download"), "--pool", "p"],
            9 => ["vol-delete", a, "--pool", "p"],
            10 => ["vol-list", "p", "--details"],
            _ => ["vol-info", a, "--pool", "p"],
        };
    }

    /// <summary>Clones onto the source's own name, and transfers between a volume and its own file.</summary>
    private bool IsSelfReference(string command)
    {
        string[] w = command.Split(' ');
        return (w[0] == "vol-clone" && w[1] == w[2])
            || (w[0] is "vol-upload" or "vol-download" && w[2] == Path.Combine(_poolDir, w[1]));
    }

    private Outcome RunBounded(string[] args)
    {
        string command = string.Join(' ', args);
        var clock = Stopwatch.StartNew();
        using var process = _kvmstor.StartProcess(args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(CommandBound))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return new Outcome(command, -1, "", clock.Elapsed);
        }
        process.WaitForExit(); // the output pumps
        return new Outcome(command, process.ExitCode, stderr.Result, clock.Elapsed);
    }

    private void AssertPoolConsistent()
    {
        var (code, stdout, stderr) = _kvmstor.Run("vol-list", "p", "--json");
        Assert.True(code == 0, stderr);
        var listed = JsonDocument.Parse(stdout).RootElement.EnumerateArray()
            .Select(v => (Name: v.GetProperty("name").GetString()!, Format: v.GetProperty("format").GetString()))
            .OrderBy(v => v.Name, StringComparer.Ordinal).ToList();
        var entries = Directory.GetFileSystemEntries(_poolDir).Select(e => Path.GetFileName(e)!).OrderBy(n => n, StringComparer.Ordinal).ToList();
        Assert.DoesNotContain(entries, e => e.StartsWith(".kvmstor-partial"));
        Assert.Equal(entries, listed.Select(v => v.Name));
        foreach (var (name, format) in listed)
            if (format == "qcow2") Qcow2QemuTools.Check(Path.Combine(_poolDir, name));
    }
}
