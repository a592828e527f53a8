using System.Diagnostics;
using System.Text.Json;

namespace KvmStor.IntegrationTests.Ceph;

/// <summary>
/// The project's single-node Ceph (ceph-fixture.sh next to this file): one mon, one memstore OSD and one mgr with
/// cephx on 127.0.0.1, started once for every test of the "Ceph" collection. Dispose stops the daemons by their pids
/// and removes the directory, also when a test failed (or left a daemon stopped with SIGSTOP).
/// </summary>
public sealed class CephCluster : IDisposable
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("kvmstor-ceph-").FullName;
    public string Conf { get; } = "";
    /// <summary>client.admin's cephx key (base64), as `ceph auth get-key` prints it.</summary>
    public string Key { get; } = "";
    public string Pool { get; } = "rbd";
    public int MonPid { get; }
    public int OsdPid { get; }
    public int MgrPid { get; }

    public static string Script { get; } = Path.Combine(RepositoryRoot(), "tests", "KvmStor.IntegrationTests", "Ceph", "ceph-fixture.sh");

    public CephCluster()
    {
        try
        {
            var (code, stdout, stderr) = Run(TimeSpan.FromMinutes(3), Script, "up", Directory);
            if (code != 0) throw new InvalidOperationException($"ceph-fixture.sh up failed ({code}): {stderr}");
            var values = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
            Conf = values["CEPH_CONF"];
            Key = values["CEPH_KEY"];
            Pool = values["CEPH_POOL"];
            MonPid = int.Parse(values["CEPH_MON_PID"]);
            OsdPid = int.Parse(values["CEPH_OSD_PID"]);
            MgrPid = int.TryParse(values.GetValueOrDefault("CEPH_MGR_PID"), out int mgr) ? mgr : 0;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Runs the rbd tool against this cluster (bounded, so a stopped daemon cannot hang a test).</summary>
    public (int Code, string Stdout, string Stderr) Rbd(params string[] args) =>
        Run(TimeSpan.FromSeconds(60), "rbd", ["-c", Conf, "--id", "admin", .. args]);

    /// <summary>`rbd info --format json` of an image, or null when it does not exist.</summary>
    public JsonElement? Info(string image)
    {
        var r = Rbd("info", "--format", "json", $"{Pool}/{image}");
        return r.Code == 0 ? JsonDocument.Parse(r.Stdout).RootElement.Clone() : null;
    }

    public byte[] Export(string image)
    {
        string file = Path.Combine(Directory, $"export-{Guid.NewGuid():N}");
        var r = Rbd("export", $"{Pool}/{image}", file);
        if (r.Code != 0) throw new InvalidOperationException($"rbd export failed: {r.Stderr}");
        byte[] data = File.ReadAllBytes(file);
        File.Delete(file);
        return data;
    }

    public static (int Code, string Stdout, string Stderr) Run(TimeSpan limit, string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(limit))
        {
            p.Kill(entireProcessTree: true);
            return (-1, "", $"{program} did not finish within {limit.TotalSeconds} s");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Sends a signal to one of this cluster's daemons (SIGSTOP/SIGCONT to simulate a dead server).</summary>
    public static void Signal(int pid, string signal) => Run(TimeSpan.FromSeconds(10), "kill", $"-{signal}", pid.ToString());

    public void Dispose()
    {
        foreach (int pid in new[] { MonPid, OsdPid, MgrPid })
            if (pid > 0) Signal(pid, "CONT");
        Run(TimeSpan.FromMinutes(1), Script, "down", Directory);
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "KvmStor.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException("repository root (KvmStor.slnx) not found");
    }
}

/// <summary>Every test class that needs Ceph joins this collection: one cluster for all of them, one test at a time.</summary>
[CollectionDefinition("Ceph")]
public sealed class CephCollection : ICollectionFixture<CephCluster>;
