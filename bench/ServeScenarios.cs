using System.Diagnostics;
using System.Globalization;

namespace KvmStor.Bench;

/// <summary>
/// `kvmstor serve` side by side with libvirtd (issue 14, "Benchmark"): the same client binaries — /usr/bin/virsh and
/// /usr/bin/python3's libvirt module — once against `kvmstor serve --listen &lt;temp&gt;/sock` on a fresh session state
/// (as the integration tests' ServeFixture runs it) and once against libvirtd on storage:///system. The streams are
/// also compared with a plain `dd … conv=fsync` of the same bytes.
/// </summary>
public static class ServeScenarios
{
    /// <summary>`kvmstor serve --listen` on its own session state; stopped with SIGTERM as the service manager would.</summary>
    internal sealed class Server : IDisposable
    {
        private readonly Scenarios.KvmstorState? _state;
        private readonly Process _process;
        public string Root { get; }
        public int Pid => _process.Id;
        public string Uri => $"storage+unix:///system?socket={Path.Combine(Root, "sock")}";
        /// <summary>The same virsh the libvirtd side uses, pointed at this server.</summary>
        public string[] Virsh { get; }

        /// <summary>A server on a fresh state of its own.</summary>
        public Server(string kvmstor, string virshBinary) : this(kvmstor, virshBinary, new Scenarios.KvmstorState()) { }

        private Server(string kvmstor, string virshBinary, Scenarios.KvmstorState state) : this(kvmstor, virshBinary, state.Root, state.Env) =>
            _state = state;

        /// <summary>A server on a state the caller made (and removes): its socket goes into <paramref name="root"/>.</summary>
        public Server(string kvmstor, string virshBinary, string root, IReadOnlyDictionary<string, string> env)
        {
            Root = root;
            string socket = Path.Combine(root, "sock");
            var psi = new ProcessStartInfo(kvmstor) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "serve", "--listen", socket }) psi.ArgumentList.Add(a);
            foreach (var (k, v) in env) psi.Environment[k] = v;
            _process = Process.Start(psi)!;
            // Drained so that a chatty server never blocks on a full pipe while measured.
            _process.OutputDataReceived += (_, _) => { };
            _process.ErrorDataReceived += (_, _) => { };
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while (!File.Exists(socket + "-ro"))
            {
                if (_process.HasExited) throw new InvalidOperationException($"kvmstor serve exited with {_process.ExitCode}");
                if (DateTime.UtcNow > deadline) throw new TimeoutException("kvmstor serve did not create its sockets");
                Thread.Sleep(50);
            }
            Virsh = [virshBinary, "-q", "-c", Uri];
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])) kill.WaitForExit();
                if (!_process.WaitForExit(TimeSpan.FromSeconds(10))) _process.Kill();
            }
            _process.Dispose();
            _state?.Dispose();
        }
    }

    internal static string VirshBinary(string[]? virsh) => virsh?[0] ?? "virsh";

    private static void Ok(string[] tool, params string[] args)
    {
        var r = Tools.Run(tool[0], tool[1..].Concat(args), null);
        if (r.Code != 0) throw new InvalidOperationException($"{string.Join(' ', tool)} {string.Join(' ', args)}: {r.Output}");
    }

    /// <summary>
    /// `virsh pool-list --all` with 200 defined pools (defined through each side's own socket); the two servers take
    /// turns, one command each (see <see cref="SideBySide"/>).
    /// </summary>
    public static void PoolList200(string kvmstor, string[]? virsh)
    {
        using var server = new Server(kvmstor, VirshBinary(virsh));
        Scenarios.WithVirsh200Pools(server.Virsh, s => Both(virsh, l =>
            SideBySide.Run("serve: virsh pool-list --all, 200 pools", 40,
                new("serve", () => SideBySide.Time(() => Ok(s, "pool-list", "--all")), server.Pid),
                l is null ? null : new("libvirtd", () => SideBySide.Time(() => Ok(l, "pool-list", "--all")), SideBySide.LibvirtdPid()))));
    }

    /// <summary>Runs <paramref name="measure"/> with libvirtd's side holding the same 200 pools (with null when there is no libvirtd).</summary>
    private static double Both(string[]? virsh, Func<string[]?, double?> measure) =>
        virsh is null ? measure(null) ?? 0 : Scenarios.WithVirsh200Pools(virsh, l => measure(l) ?? 0)!.Value;

    /// <summary>
    /// 1000 × virStoragePoolLookupByName from /usr/bin/python3 on one connection (200 pools defined). Timed inside
    /// Python: the loop only, not the interpreter's start or the connect. One python process per sample, the two
    /// servers taking turns.
    /// </summary>
    public static void Lookup1000(string kvmstor, string[]? virsh)
    {
        const string Script = """
            import sys, time, libvirt
            c = libvirt.open(sys.argv[1])
            names = ['kvmstorbench%d' % i for i in range(200)]
            t = time.perf_counter()
            for i in range(1000):
                c.storagePoolLookupByName(names[i % 200])
            print((time.perf_counter() - t) * 1000)
            c.close()
            """;
        static double Sample(string uri)
        {
            var (code, output) = Tools.Run("/usr/bin/python3", ["-c", Script, uri], null);
            if (code != 0) throw new InvalidOperationException($"python3 lookups on {uri}: {output}");
            return double.Parse(output.Trim(), CultureInfo.InvariantCulture);
        }
        using var server = new Server(kvmstor, VirshBinary(virsh));
        Scenarios.WithVirsh200Pools(server.Virsh, _ => Both(virsh, l =>
            SideBySide.Run("serve: python 1000 × storagePoolLookupByName", 30,
                new("serve", () => Sample(server.Uri), server.Pid),
                l is null ? null : new("libvirtd", () => Sample(l[^1]), SideBySide.LibvirtdPid()))));
    }

    /// <summary>`virsh vol-list --details` of a dir pool holding 5000 small files on each side; the servers take turns.</summary>
    public static void VolList5000(string kvmstor, string[]? virsh)
    {
        using var server = new Server(kvmstor, VirshBinary(virsh));
        WithDirPool(server.Virsh, Path.Combine(server.Root, "pool5000"), (s, sPool, sTarget) =>
        {
            Fill(s, sPool, sTarget);
            if (virsh is null)
                return SideBySide.Run("serve: virsh vol-list --details, 5000 files", 11, new("serve", () => List(s, sPool), server.Pid), null);
            return WithDirPool(virsh, Path.Combine(Path.GetTempPath(), $"kvmstor-bench-vpool5000-{Environment.ProcessId}"), (l, lPool, lTarget) =>
            {
                Fill(l, lPool, lTarget);
                return SideBySide.Run("serve: virsh vol-list --details, 5000 files", 11,
                    new("serve", () => List(s, sPool), server.Pid), new("libvirtd", () => List(l, lPool), SideBySide.LibvirtdPid()));
            });
        });

        static void Fill(string[] v, string pool, string target)
        {
            var block = new byte[4096];
            for (int i = 0; i < 5000; i++) File.WriteAllBytes(Path.Combine(target, $"f{i:D4}.img"), block);
            Ok(v, "pool-refresh", pool);
        }

        static double List(string[] v, string pool) => SideBySide.Time(() => Ok(v, "vol-list", pool, "--details"));
    }

    /// <summary>
    /// vol-upload and vol-download of 1 GiB of random data through the stream, next to `dd bs=4M conv=fsync` of the
    /// same bytes: into a preallocated-size file (conv=notrunc, as the upload writes into the existing volume) and out
    /// of the volume into a new file.
    /// </summary>
    public static void UploadDownload1G(string kvmstor, string[]? virsh)
    {
        using var server = new Server(kvmstor, VirshBinary(virsh));
        string data = Path.Combine(server.Root, "data.bin");
        VolumeBench.MakeFile(data, 1L << 30, halfHoles: false);
        WithDirPool(server.Virsh, Path.Combine(server.Root, "stream"), (s, sPool, sTarget) =>
        {
            var serve = new StreamSide("serve", s, sPool, sTarget, data, server.Pid);
            try
            {
                if (virsh is null) Compare(serve, null);
                else WithDirPool(virsh, Path.Combine(Path.GetTempPath(), $"kvmstor-bench-vstream-{Environment.ProcessId}"), (l, lPool, lTarget) =>
                {
                    var libvirtd = new StreamSide("libvirtd", l, lPool, lTarget, data, SideBySide.LibvirtdPid());
                    try { Compare(serve, libvirtd); }
                    finally { libvirtd.Dispose(); }
                    return 0;
                });
            }
            finally { serve.Dispose(); }
            return 0;
        });

        // Every comparison interleaved (SideBySide: A B, B A…), so a load that drifts falls on both sides of a pair.
        static void Compare(StreamSide serve, StreamSide? libvirtd)
        {
            const int Pairs = 8;
            if (libvirtd is not null)
            {
                SideBySide.Run("serve: virsh vol-upload 1 GiB, kvmstor serve / libvirtd", Pairs, serve.Upload, libvirtd.Upload);
                SideBySide.Run("serve: virsh vol-download 1 GiB, kvmstor serve / libvirtd", Pairs, serve.Download, libvirtd.Download);
            }
            foreach (var side in libvirtd is null ? [serve] : new[] { serve, libvirtd })
            {
                SideBySide.Run($"serve: {side.Name} vol-upload 1 GiB / dd bs=4M conv=notrunc,fsync", Pairs, side.Upload, side.DdUpload, goal: 1.2);
                SideBySide.Run($"serve: {side.Name} vol-download 1 GiB / dd bs=4M conv=fsync", Pairs, side.Download, side.DdDownload, goal: 1.2);
                side.CheckUploaded();
            }
        }
    }

    /// <summary>One server's dir pool with a 1 GiB volume, and the samples a stream comparison takes of it.</summary>
    private sealed class StreamSide : IDisposable
    {
        private readonly string[] _virsh;
        private readonly string _pool, _volume, _back, _ddTarget, _data;

        public StreamSide(string name, string[] virsh, string pool, string target, string data, int? serverPid)
        {
            Name = name;
            _virsh = virsh;
            _pool = pool;
            _data = data;
            _volume = Path.Combine(target, "up.img");
            _back = Path.Combine(target, "..", $"back-{pool}-{name}.bin");
            _ddTarget = Path.Combine(target, "..", $"dd-{pool}-{name}.img");
            Ok(virsh, "vol-create-as", pool, "up.img", "1G", "--allocation", "0");
            Tools.Run("truncate", "-s", "1G", _ddTarget);
            Upload = new(name, () => SideBySide.Time(() => Ok(_virsh, "vol-upload", "--pool", _pool, "up.img", _data)), serverPid);
            Download = new(name, () =>
            {
                File.Delete(_back);
                return SideBySide.Time(() => Ok(_virsh, "vol-download", "--pool", _pool, "up.img", _back));
            }, serverPid);
            DdUpload = new("dd", () => SideBySide.Time(() => Ok(["dd"], $"if={_data}", $"of={_ddTarget}", "bs=4M", "conv=notrunc,fsync", "status=none")), null);
            DdDownload = new("dd", () =>
            {
                File.Delete(_back);
                return SideBySide.Time(() => Ok(["dd"], $"if={_volume}", $"of={_back}", "bs=4M", "conv=fsync", "status=none"));
            }, null);
        }

        public string Name { get; }
        public SideBySide.Side Upload { get; }
        public SideBySide.Side Download { get; }
        public SideBySide.Side DdUpload { get; }
        public SideBySide.Side DdDownload { get; }

        public void CheckUploaded()
        {
            if (Tools.Run("cmp", _data, _volume).Code != 0) throw new InvalidOperationException($"{Name}: the uploaded volume differs from the data");
        }

        public void Dispose()
        {
            File.Delete(_back);
            File.Delete(_ddTarget);
            Tools.Run(_virsh[0], _virsh[1..].Concat(["vol-delete", "--pool", _pool, "up.img"]), null);
        }
    }

    /// <summary>Runs <paramref name="measure"/> with a transient dir pool (pool-create-as --build) made through <paramref name="virsh"/>.</summary>
    private static T WithDirPool<T>(string[] virsh, string target, Func<string[], string, string, T> measure)
    {
        const string Pool = "kvmstorbenchserve";
        Tools.Run(virsh[0], virsh[1..].Concat(["pool-destroy", Pool]), null);
        Ok(virsh, "pool-create-as", Pool, "dir", "--target", target, "--build");
        try { return measure(virsh, Pool, target); }
        finally
        {
            Tools.Run(virsh[0], virsh[1..].Concat(["pool-destroy", Pool]), null);
            if (Directory.Exists(target)) Directory.Delete(target, true);
        }
    }
}
