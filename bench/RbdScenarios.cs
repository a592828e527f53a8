using System.Diagnostics;
using KvmStor.Backends;
using KvmStor.Backends.Rbd;
using KvmStor.Model;

namespace KvmStor.Bench;

/// <summary>
/// RBD pools on the project's throw-away Ceph (tests/KvmStor.IntegrationTests/Ceph/ceph-fixture.sh, started once for
/// all RBD scenarios and stopped at the end): refresh of 1000 images, create/clone/delete of 100, and 256 MiB upload
/// and download against `rbd import` / `rbd export` (libvirt has no RBD upload or download). libvirt's side runs only
/// when a libvirt storage driver answers on storage:///system, against the same cluster.
/// </summary>
public static class RbdScenarios
{
    private sealed class Cluster
    {
        public required string Directory { get; init; }
        public required string Conf { get; init; }
        public required string Key { get; init; }
    }

    private sealed class KeySecrets(string key) : IPoolSecrets
    {
        public byte[] ValueFor(PoolDefinition pool, PoolAuth auth) => Convert.FromBase64String(key);
    }

    private static Cluster? _cluster;

    private static string Script()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "KvmStor.slnx")))
                return Path.Combine(dir.FullName, "tests", "KvmStor.IntegrationTests", "Ceph", "ceph-fixture.sh");
        throw new InvalidOperationException("repository root not found");
    }

    private static Cluster Start()
    {
        if (_cluster is not null) return _cluster;
        string dir = System.IO.Directory.CreateTempSubdirectory("kvmstor-bench-ceph-").FullName;
        var sw = Stopwatch.StartNew();
        var (code, output) = Tools.Run(Script(), "up", dir);
        if (code != 0) throw new InvalidOperationException($"ceph-fixture.sh up failed: {output}");
        var values = output.Split('\n').Select(l => l.Split('=', 2)).Where(p => p.Length == 2 && p[0].StartsWith("CEPH_"))
            .ToDictionary(p => p[0], p => p[1].Trim());
        Console.WriteLine($"(Ceph fixture up in {sw.Elapsed.TotalSeconds:F1} s)");
        return _cluster = new Cluster { Directory = dir, Conf = values["CEPH_CONF"], Key = values["CEPH_KEY"] };
    }

    /// <summary>Stops the shared cluster (by the pids the fixture recorded) and removes its directory.</summary>
    public static void Shutdown()
    {
        if (_cluster is null) return;
        Tools.Run(Script(), "down", _cluster.Directory);
        try { System.IO.Directory.Delete(_cluster.Directory, true); } catch (IOException) { }
        _cluster = null;
    }

    private static PoolDefinition Direct(string cephPool) => new()
    {
        Type = PoolType.Rbd,
        Name = "bench-direct",
        Source = new PoolSource
        {
            Hosts = [new PoolSourceHost("127.0.0.1", 6789)],
            Name = cephPool,
            Auth = new PoolAuth { Type = AuthType.Ceph, Username = "admin", SecretUsage = "bench" },
        },
    };

    /// <summary>A kvmstor session state and a libvirt-side definition (when libvirt runs) of an rbd pool on the cluster.</summary>
    private sealed class Pools : IDisposable
    {
        public string Root { get; } = System.IO.Directory.CreateTempSubdirectory("kvmstor-bench-rbd-").FullName;
        public string Name { get; } = $"benchrbd{Environment.ProcessId}";
        public string[] Kvmstor { get; }
        public string[]? Virsh { get; }
        private string? _virshSecret;

        public Dictionary<string, string> Env => new()
        {
            ["XDG_CONFIG_HOME"] = Path.Combine(Root, "config"),
            ["XDG_STATE_HOME"] = Path.Combine(Root, "xdg-state"),
            ["XDG_RUNTIME_DIR"] = Path.Combine(Root, "run"),
            ["KVMSTOR_DEFAULT_URI"] = "kvmstor:///session",
        };

        public Pools(Cluster cluster, string kvmstor, string[]? virsh)
        {
            Kvmstor = [kvmstor];
            Virsh = virsh;
            string keyFile = Path.Combine(Root, "key");
            File.WriteAllText(keyFile, cluster.Key);
            string secretXml = Path.Combine(Root, "secret.xml");
            // The UUID is given, not read from the output: `virsh -q` does not print "Secret … created".
            string uuid = Guid.NewGuid().ToString("D");
            File.WriteAllText(secretXml, $"<secret ephemeral='no' private='yes'><uuid>{uuid}</uuid><usage type='ceph'><name>{Name}</name></usage></secret>");
            foreach (var tool in virsh is null ? new[] { Kvmstor } : new[] { Kvmstor, virsh })
            {
                Ok(tool, "secret-define", secretXml);
                if (tool == virsh) _virshSecret = uuid;
                Ok(tool, "secret-set-value", uuid, "--file", keyFile);
                Ok(tool, "pool-define-as", Name, "rbd", "--source-host", "127.0.0.1", "--source-name", "rbd",
                    "--auth-type", "ceph", "--auth-username", "admin", "--secret-usage", Name);
                Ok(tool, "pool-start", Name);
            }
        }

        public string Ok(string[] tool, params string[] args)
        {
            var r = Tools.Run(tool[0], tool[1..].Concat(args), tool == Kvmstor ? Env : null);
            if (r.Code != 0) throw new InvalidOperationException($"{string.Join(' ', tool)} {string.Join(' ', args)}: {r.Output}");
            return r.Output;
        }

        public void Dispose()
        {
            if (Virsh is not null)
            {
                Tools.Run(Virsh[0], Virsh[1..].Concat(["pool-destroy", Name]), null);
                Tools.Run(Virsh[0], Virsh[1..].Concat(["pool-undefine", Name]), null);
                if (_virshSecret is not null) Tools.Run(Virsh[0], Virsh[1..].Concat(["secret-undefine", _virshSecret]), null);
            }
            System.IO.Directory.Delete(Root, true);
        }
    }

    /// <summary>pool-refresh and vol-list --details of a pool of 1000 images (users measured 11.7 s for 950 in libvirt).</summary>
    public static void Refresh1000(string kvmstor, string[]? virsh)
    {
        var cluster = Start();
        var backend = new RbdPoolBackend(new KeySecrets(cluster.Key));
        var direct = Direct("rbd");
        var names = Enumerable.Range(0, 1000).Select(i => $"bench-{i:D4}").ToList();
        var sw = Stopwatch.StartNew();
        foreach (var name in names)
            backend.CreateVolume(direct, new VolumeDefinition { Name = name, Capacity = 1UL << 30 }, VolumeCreateFlags.None, null, default);
        Console.WriteLine($"(1000 images made in-process in {sw.Elapsed.TotalSeconds:F1} s)");
        try
        {
            using var pools = new Pools(cluster, kvmstor, virsh);
            double k = Tools.MedianMs(5, () => pools.Ok(pools.Kvmstor, "pool-refresh", pools.Name));
            double? v = virsh is null ? null : Tools.MedianMs(3, () => pools.Ok(virsh, "pool-refresh", pools.Name));
            Tools.Report("rbd: pool-refresh, 1000 images", k, v);
            double kl = Tools.MedianMs(5, () => pools.Ok(pools.Kvmstor, "vol-list", pools.Name, "--details"));
            double? vl = virsh is null ? null : Tools.MedianMs(3, () => pools.Ok(virsh, "vol-list", pools.Name, "--details"));
            Tools.Report("rbd: vol-list --details, 1000 images", kl, vl);
            double rbd = Tools.MedianMs(3, () => Tools.Run("rbd", "-c", cluster.Conf, "ls", "-l", "rbd"));
            Console.WriteLine($"{"rbd: `rbd ls -l` for reference, 1000 images",-48} rbd ls   {rbd,9:F1} ms");
        }
        finally
        {
            foreach (var name in names)
                backend.DeleteVolume(direct, new VolumeDefinition { Name = name }, VolumeDeleteFlags.None);
        }
    }

    /// <summary>100 × vol-create-as, 100 × vol-clone (copy-on-write), 200 × vol-delete: one process per command.</summary>
    public static void CreateCloneDelete100(string kvmstor, string[]? virsh)
    {
        var cluster = Start();
        using var pools = new Pools(cluster, kvmstor, virsh);
        var (kc, kk, kd) = Measure(pools.Kvmstor, "k");
        (double, double, double)? v = virsh is null ? null : Measure(virsh, "v");
        Tools.Report("rbd: 100 × vol-create-as 64M", kc, v?.Item1);
        Tools.Report("rbd: 100 × vol-clone (copy-on-write)", kk, v?.Item2);
        Tools.Report("rbd: 200 × vol-delete (clones, then --delete-snapshots)", kd, v?.Item3);

        (double, double, double) Measure(string[] tool, string prefix)
        {
            string p = $"{prefix}{Environment.ProcessId}-";
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < 100; i++) pools.Ok(tool, "vol-create-as", pools.Name, $"{p}{i}", "64M");
            double create = sw.Elapsed.TotalMilliseconds;
            sw.Restart();
            for (int i = 0; i < 100; i++) pools.Ok(tool, "vol-clone", "--pool", pools.Name, $"{p}{i}", $"{p}{i}c");
            double clone = sw.Elapsed.TotalMilliseconds;
            sw.Restart();
            for (int i = 0; i < 100; i++) pools.Ok(tool, "vol-delete", "--pool", pools.Name, $"{p}{i}c");
            for (int i = 0; i < 100; i++) pools.Ok(tool, "vol-delete", "--pool", pools.Name, $"{p}{i}", "--delete-snapshots");
            return (create, clone, sw.Elapsed.TotalMilliseconds);
        }
    }

    /// <summary>
    /// Issue 14: 100 × `virsh vol-create-as` 64M through `kvmstor serve` (one virsh process each, one server), next to
    /// the same through libvirtd, the two taking turns (<paramref name="pairs"/> pairs, see <see cref="SideBySide"/>);
    /// then once through 100 kvmstor CLI processes (each of which loads librados and connects).
    /// </summary>
    public static void CreateThroughServe100(string kvmstor, string[]? virsh)
    {
        const int pairs = 3;
        var cluster = Start();
        using var pools = new Pools(cluster, kvmstor, virsh);
        using var server = new ServeScenarios.Server(kvmstor, ServeScenarios.VirshBinary(virsh), pools.Root, pools.Env);
        int round = 0;
        SideBySide.Run("rbd: 100 × vol-create-as 64M", pairs,
            new("serve", () => Creates(server.Virsh, $"s{round++}"), server.Pid),
            virsh is null ? null : new("libvirtd", () => Creates(virsh, $"v{round++}"), SideBySide.LibvirtdPid()));
        double cli = Creates(pools.Kvmstor, "k");
        Console.WriteLine($"  the CLI, one process per create: {cli:F1} ms");

        // Timed: the creates only; the volumes are deleted afterwards through the same client (untimed).
        double Creates(string[] tool, string prefix)
        {
            string p = $"{prefix}-{Environment.ProcessId}-";
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < 100; i++) pools.Ok(tool, "vol-create-as", pools.Name, $"{p}{i}", "64M");
            double ms = sw.Elapsed.TotalMilliseconds;
            for (int i = 0; i < 100; i++) pools.Ok(tool, "vol-delete", "--pool", pools.Name, $"{p}{i}");
            return ms;
        }
    }

    /// <summary>256 MiB (random data) vol-upload / vol-download against `rbd import` / `rbd export`.</summary>
    public static void UploadDownload256(string kvmstor, string[]? virsh)
    {
        var cluster = Start();
        using var pools = new Pools(cluster, kvmstor, null);
        string input = Path.Combine(pools.Root, "in.raw"), output = Path.Combine(pools.Root, "out.raw");
        var data = new byte[256 << 20];
        Random.Shared.NextBytes(data);
        File.WriteAllBytes(input, data);
        string[] rbd = ["rbd", "-c", cluster.Conf];
        pools.Ok(pools.Kvmstor, "vol-create-as", pools.Name, "up", "256M");
        double up = Tools.MedianMs(3, () => pools.Ok(pools.Kvmstor, "vol-upload", "--pool", pools.Name, "up", input));
        double import = Tools.MedianMs(3, () =>
        {
            Tools.Run("rbd", "-c", cluster.Conf, "rm", "rbd/imported");
            Tools.TimedSection(() => pools.Ok(rbd, "import", input, "rbd/imported"));
        }, subtractUntimed: true);
        Console.WriteLine($"{"rbd: 256 MiB vol-upload vs rbd import",-48} kvmstor {up,9:F1} ms   rbd import {import,9:F1} ms   ratio {up / import:F2}");
        double down = Tools.MedianMs(3, () => { File.Delete(output); pools.Ok(pools.Kvmstor, "vol-download", "--pool", pools.Name, "up", output); });
        double export = Tools.MedianMs(3, () => { File.Delete(output); pools.Ok(rbd, "export", "rbd/up", output); });
        Console.WriteLine($"{"rbd: 256 MiB vol-download vs rbd export",-48} kvmstor {down,9:F1} ms   rbd export {export,9:F1} ms   ratio {down / export:F2}");
        pools.Ok(pools.Kvmstor, "vol-delete", "--pool", pools.Name, "up");
        Tools.Run("rbd", "-c", cluster.Conf, "rm", "rbd/imported");
    }
}
