using System.Diagnostics;
using Xunit.Abstractions;

namespace KvmStor.IntegrationTests.Cockpit;

/// <summary>
/// Cockpit's "Virtual machines → Storage pools" page (cockpit-machines 288 through libvirt-dbus 1.4.1) in headless
/// Chromium: one scripted pass through every storage action of the page, first against Debian's real libvirtd 9.0, then
/// against `out/kvmstor serve` on /run/libvirt/libvirt-sock, each in a private namespace of its own; then the texts the
/// page showed in the two runs are compared. Screenshots go to $KVMSTOR_TEST_ARTIFACTS/cockpit (default: the test
/// output's test-artifacts/cockpit).
/// </summary>
public sealed class CockpitStoragePageTests(CockpitStoragePageTests.LibvirtdReference reference, ITestOutputHelper output)
    : IClassFixture<CockpitStoragePageTests.LibvirtdReference>
{
    /// <summary>The pass against libvirtd runs once for both tests (its log lines go to the first test's output).</summary>
    public sealed class LibvirtdReference
    {
        private readonly Lock _lock = new();
        private IReadOnlyList<PageText>? _texts;

        public IReadOnlyList<PageText> Texts(Func<IReadOnlyList<PageText>> run)
        {
            lock (_lock) return _texts ??= run();
        }
    }

    /// <summary>A step whose page text differs against kvmstor for a reason: what the page shows for kvmstor, exactly.</summary>
    private sealed record ExpectedDifference(string KvmstorShows, string Reason);

    /// <summary>
    /// Where the page shows kvmstor differently from libvirtd, each with why. A step's text is compared whole: against
    /// libvirtd for every other step, against the text given here for these; anything else fails the test.
    /// </summary>
    private static readonly Dictionary<string, ExpectedDifference> ExpectedDifferences = new()
    {
        ["deleting a partition of the disk pool"] = new("deleted\n",
            "libvirtd 9.0 cannot delete a partition of a loop device: it passes what follows the device's name in " +
            "/dev/loopNp1, `p1`, as the partition number (`parted /dev/loopN rm --script p1`) and parted answers \"Partition " +
            "doesn't exist\", which the page shows; kvmstor reads the number (`parted /dev/loopN rm --script 1`) and deletes it"),
        ["ck-disk row after deactivate"] = new("ck-disk 0 / 0.25 GiB System inactive Activate",
            "follows from the partition delete above: under libvirtd the 64 MiB partition is still there (0.06 GiB allocated); " +
            "under kvmstor it is gone"),
    };

    [Fact]
    public void Every_storage_action_works_against_libvirtd()
    {
        // The reference run: every step's page and virsh checks pass (what kvmstor is compared with).
        Assert.NotEmpty(reference.Texts(() => RunPass(new LibvirtdDaemon())));
    }

    [Fact]
    public void Every_storage_action_works_against_kvmstor_and_the_page_shows_what_it_shows_for_libvirtd()
    {
        var libvirtd = reference.Texts(() => RunPass(new LibvirtdDaemon()));
        var kvmstor = RunPass(new KvmstorDaemon());

        var differences = new List<string>();
        var kvmstorTexts = kvmstor.ToLookup(t => t.Step, t => t.Text);
        foreach (var group in libvirtd.GroupBy(t => t.Step))
        {
            string expected = string.Join("\n---\n", group.Select(t => t.Text));
            string actual = string.Join("\n---\n", kvmstorTexts[group.Key]);
            if (ExpectedDifferences.TryGetValue(group.Key, out var listed))
            {
                if (actual != listed.KvmstorShows)
                    differences.Add($"[{group.Key}] (a listed difference: {listed.Reason})\n  expected: {listed.KvmstorShows.Replace("\n", "\n            ")}\n  kvmstor:  {actual.Replace("\n", "\n            ")}");
            }
            else if (expected != actual)
                differences.Add($"[{group.Key}]\n  libvirtd: {expected.Replace("\n", "\n            ")}\n  kvmstor:  {actual.Replace("\n", "\n            ")}");
        }
        foreach (var extra in kvmstor.Select(t => t.Step).Distinct().Except(libvirtd.Select(t => t.Step)))
            differences.Add($"[{extra}] shown only against kvmstor: {string.Join(" | ", kvmstorTexts[extra])}");
        Assert.True(differences.Count == 0, "the page shows kvmstor differently:\n" + string.Join("\n", differences));
    }

    private IReadOnlyList<PageText> RunPass(StorageDaemon daemon)
    {
        string root = Directory.CreateTempSubdirectory($"kvmstor-cockpit-{daemon.Name}-").FullName;
        string artifacts = Path.Combine(ArtifactsRoot(), daemon.Name);
        if (Directory.Exists(artifacts)) Directory.Delete(artifacts, recursive: true);
        var clock = Stopwatch.StartNew();
        string? loop = null;
        StoragePagePass? pass = null;
        try
        {
            loop = MakeLabelledLoopDevice(root);
            using var stack = new CockpitStack(root, daemon);
            output.WriteLine($"[{daemon.Name}] stack up in {clock.Elapsed.TotalSeconds:0.0} s");
            pass = new StoragePagePass(stack, artifacts, loop);
            try
            {
                pass.Run();
            }
            finally
            {
                foreach (string step in pass.Completed) output.WriteLine($"[{daemon.Name}] passed: {step}");
                File.WriteAllLines(Path.Combine(artifacts, "page-texts.txt"), pass.Texts.Select(t => $"## {t.Step}\n{t.Text}\n"));
                File.WriteAllLines(Path.Combine(artifacts, "console.txt"), stack.Page.Console);
                CopyLogs(stack.Logs, artifacts);
            }
            output.WriteLine($"[{daemon.Name}] pass done in {clock.Elapsed.TotalSeconds:0.0} s");
            // An uncaught exception is how the page fails on XML it cannot parse (it then shows nothing for that object).
            Assert.Empty(stack.Page.Console.Where(line => line.StartsWith("exception:", StringComparison.Ordinal)));
            return pass.Texts;
        }
        finally
        {
            // Each clean-up runs even when an earlier one throws.
            try { daemon.Dispose(); }
            finally { if (loop is not null) DetachLoopDevice(loop, root); }
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
            while (ProcessStopper.SlowStops.TryDequeue(out string? slow)) output.WriteLine($"[{daemon.Name}] slow to stop: {slow}");
            output.WriteLine($"[{daemon.Name}] finished and cleaned up after {clock.Elapsed.TotalSeconds:0.0} s");
        }
    }

    /// <summary>A 256 MiB loop device with an empty GPT label, for the disk pool (partition scanning on, so partitions get nodes).</summary>
    private static string MakeLabelledLoopDevice(string root)
    {
        string image = Path.Combine(root, "disk.img");
        using (var f = File.Create(image)) f.SetLength(256L << 20);
        string device = Run("losetup", "--find", "--show", "--partscan", image).Trim();
        Run("parted", "-s", device, "mklabel", "gpt");
        return device;
    }

    private static void DetachLoopDevice(string device, string root)
    {
        // Only the loop device whose backing file is ours.
        if (Run("losetup", "-n", "-O", "BACK-FILE", device).Trim() == Path.Combine(root, "disk.img")) Run("losetup", "-d", device);
    }

    private static void CopyLogs(string logs, string artifacts)
    {
        foreach (string file in Directory.EnumerateFiles(logs))
            File.Copy(file, Path.Combine(artifacts, Path.GetFileName(file)), overwrite: true);
    }

    private static string ArtifactsRoot() =>
        Path.Combine(Environment.GetEnvironmentVariable("KVMSTOR_TEST_ARTIFACTS") is { Length: > 0 } a
            ? a : Path.Combine(AppContext.BaseDirectory, "test-artifacts"), "cockpit");

    private static string Run(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(60))) { p.Kill(); throw new TimeoutException($"{program} did not finish"); }
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(' ', args)}: {stderr.Result}");
        return stdout.Result;
    }
}
