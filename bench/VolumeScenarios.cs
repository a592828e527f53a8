using System.Diagnostics;

namespace KvmStor.Bench;

/// <summary>
/// Volume operations side by side (issue "Volumes", item 7). Each tool gets its own dir pool on the same file
/// system; virsh's is a transient pool made with pool-create-as --build and destroyed afterwards.
/// </summary>
public sealed class VolumeBench : IDisposable
{
    private readonly string _kvmstor;
    private readonly string[]? _virsh;
    private readonly string _root;
    private readonly Dictionary<string, string> _env;
    public string KPool => Path.Combine(_root, "kpool");
    public string VPool => Path.Combine(_root, "vpool");
    private const string VirshPoolName = "kvmstorbench";
    /// <summary>Largest resident set of any kvmstor process run through <see cref="K"/>, in KiB.</summary>
    public long PeakKib { get; private set; }

    public VolumeBench(string kvmstor, string[]? virsh, string? under = null)
    {
        _kvmstor = kvmstor;
        _virsh = virsh;
        _root = Path.Combine(under ?? Path.GetTempPath(), $"kvmstor-volbench-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_root);
        _env = new()
        {
            ["XDG_CONFIG_HOME"] = Path.Combine(_root, "config"),
            ["XDG_STATE_HOME"] = Path.Combine(_root, "xdg-state"),
            ["XDG_RUNTIME_DIR"] = Path.Combine(_root, "run"),
            ["KVMSTOR_DEFAULT_URI"] = "kvmstor:///session",
        };
        K("pool-create-as", "bench", "dir", "--target", KPool, "--build");
        if (_virsh is not null)
        {
            V("pool-destroy", VirshPoolName, "--quiet-ignore");
            V("pool-create-as", VirshPoolName, "dir", "--target", VPool, "--build");
        }
    }

    public bool HasVirsh => _virsh is not null;

    /// <summary>Runs kvmstor, measuring its peak memory with GNU time when available.</summary>
    public void K(params string[] args)
    {
        if (File.Exists("/usr/bin/time"))
        {
            string rss = Path.Combine(_root, "rss");
            var (code, output) = Tools.Run("/usr/bin/time", new[] { "-f", "%M", "-o", rss, _kvmstor }.Concat(args), _env);
            if (code != 0) throw new InvalidOperationException($"kvmstor {string.Join(' ', args)}: {output}");
            if (long.TryParse(File.ReadAllText(rss).Trim(), out long kib)) PeakKib = Math.Max(PeakKib, kib);
            return;
        }
        var r = Tools.Run(_kvmstor, args, _env);
        if (r.Code != 0) throw new InvalidOperationException($"kvmstor {string.Join(' ', args)}: {r.Output}");
    }

    public void V(params string[] args)
    {
        if (args.Contains("--quiet-ignore"))
        {
            Tools.Run(_virsh![0], _virsh[1..].Concat(args.Where(a => a != "--quiet-ignore")), null);
            return;
        }
        var r = Tools.Run(_virsh![0], _virsh[1..].Concat(args), null);
        if (r.Code != 0) throw new InvalidOperationException($"virsh {string.Join(' ', args)}: {r.Output}");
    }

    public static void Sync() => Tools.Run("sync");

    public static ulong AllocatedBytes(string path)
    {
        var (_, output) = Tools.Run("stat", "-c", "%b %B", path);
        var parts = output.Trim().Split(' ');
        return ulong.Parse(parts[0]) * ulong.Parse(parts[1]);
    }

    /// <summary>A file of <paramref name="size"/> bytes: random data in 8 MiB runs, every other run a hole when <paramref name="halfHoles"/>.</summary>
    public static void MakeFile(string path, long size, bool halfHoles)
    {
        const int Run = 8 << 20;
        var buffer = new byte[Run];
        using var f = new FileStream(path, FileMode.Create, FileAccess.Write);
        f.SetLength(size);
        for (long off = 0, i = 0; off < size; off += Run, i++)
        {
            if (halfHoles && i % 2 == 1) continue;
            Random.Shared.NextBytes(buffer);
            f.Position = off;
            f.Write(buffer, 0, (int)Math.Min(Run, size - off));
        }
    }

    public void Dispose()
    {
        Tools.Run(_kvmstor, ["pool-destroy", "bench"], _env);
        if (_virsh is not null) Tools.Run(_virsh[0], _virsh[1..].Concat(["pool-destroy", VirshPoolName]), null);
        Directory.Delete(_root, true);
    }
}

public static class VolumeScenarios
{
    private const string VirshPool = "kvmstorbench";

    /// <summary>vol-create-as 10G qcow2 (goal ≤ 0.3× libvirt). Timed: the create; the delete follows untimed.</summary>
    public static void CreateQcow2(string kvmstor, string[]? virsh)
    {
        using var b = new VolumeBench(kvmstor, virsh);
        int i = 0, j = 0;
        double k = Tools.MedianMs(10, () => { string n = $"q{i++}"; Timed(() => b.K("vol-create-as", "bench", n, "10G", "--format", "qcow2")); b.K("vol-delete", n, "--pool", "bench"); }, subtractUntimed: true);
        double? v = b.HasVirsh
            ? Tools.MedianMs(10, () => { string n = $"q{j++}"; Timed(() => b.V("vol-create-as", VirshPool, n, "10G", "--format", "qcow2")); b.V("vol-delete", n, "--pool", VirshPool); }, subtractUntimed: true)
            : null;
        Tools.Report("vol-create-as 10G qcow2", k, v, 0.3);
        Console.WriteLine($"  peak RSS of kvmstor: {b.PeakKib / 1024.0:F1} MiB");
    }

    /// <summary>vol-clone of a 2 GiB raw volume, half holes (goal ≤ 0.4× libvirt, holes kept).</summary>
    public static void CloneHalfHoles(string kvmstor, string[]? virsh) => Clone(kvmstor, virsh, null, 0.4, "vol-clone 2 GiB raw, half holes");

    /// <summary>The same clone on xfs, where kvmstor reflinks by itself (goal ≤ 50 ms).</summary>
    public static void CloneOnXfs(string kvmstor, string[]? virsh)
    {
        string image = Path.Combine(Path.GetTempPath(), $"kvmstor-bench-xfs-{Environment.ProcessId}.img");
        string mnt = Path.Combine(Path.GetTempPath(), $"kvmstor-bench-xfs-{Environment.ProcessId}");
        string? loop = null;
        try
        {
            Tools.Run("truncate", "-s", "8G", image);
            loop = Tools.Run("losetup", "-f", "--show", image).Output.Trim();
            Tools.Run("mkfs.xfs", "-q", "-m", "reflink=1", loop);
            Directory.CreateDirectory(mnt);
            if (Tools.Run("mount", loop, mnt).Code != 0) { Console.WriteLine("vol-clone on xfs: cannot mount xfs here; skipped"); return; }
            Clone(kvmstor, virsh, mnt, null, "vol-clone 2 GiB raw on xfs (reflink)", goalMs: 50);
        }
        finally
        {
            Tools.Run("umount", mnt);
            if (loop is not null) Tools.Run("losetup", "-d", loop);
            File.Delete(image);
            if (Directory.Exists(mnt)) Directory.Delete(mnt);
        }
    }

    private static void Clone(string kvmstor, string[]? virsh, string? under, double? goalRatio, string label, double? goalMs = null)
    {
        using var b = new VolumeBench(kvmstor, virsh, under);
        VolumeBench.MakeFile(Path.Combine(b.KPool, "src.img"), 2L << 30, halfHoles: true);
        if (b.HasVirsh)
        {
            File.Copy(Path.Combine(b.KPool, "src.img"), Path.Combine(b.VPool, "src.img"));
            b.V("pool-refresh", VirshPool);
        }
        VolumeBench.Sync();
        ulong allocated = 0;
        double k = Tools.MedianMs(5, () =>
        {
            Timed(() => b.K("vol-clone", "src.img", "c.img", "--pool", "bench"));
            allocated = VolumeBench.AllocatedBytes(Path.Combine(b.KPool, "c.img"));
            b.K("vol-delete", "c.img", "--pool", "bench");
        }, subtractUntimed: true);
        double? v = b.HasVirsh
            ? Tools.MedianMs(3, () => { Timed(() => b.V("vol-clone", "src.img", "c.img", "--pool", VirshPool)); b.V("vol-delete", "c.img", "--pool", VirshPool); }, subtractUntimed: true)
            : null;
        Tools.Report(label, k, v, goalRatio);
        Console.WriteLine($"  kvmstor clone allocation: {allocated / (1024.0 * 1024 * 1024):F2} GiB of 2 GiB (source has 1 GiB of data)" +
                          (goalMs is { } g ? $"; goal ≤ {g} ms: {(k <= g ? "met" : "NOT met")}" : "") + $"; peak RSS {b.PeakKib / 1024.0:F1} MiB");
    }

    /// <summary>vol-upload and vol-download of 1 GiB (goal ≤ 0.6× libvirt each).</summary>
    public static void UploadDownload(string kvmstor, string[]? virsh)
    {
        using var b = new VolumeBench(kvmstor, virsh);
        string data = Path.Combine(b.KPool, "..", "data.bin");
        VolumeBench.MakeFile(data, 1L << 30, halfHoles: false);
        b.K("vol-create-as", "bench", "up.img", "1G", "--allocation", "0");
        if (b.HasVirsh) b.V("vol-create-as", VirshPool, "up.img", "1G", "--allocation", "0");
        double ku = Tools.MedianMs(5, () => b.K("vol-upload", "up.img", data, "--pool", "bench"));
        double? vu = b.HasVirsh ? Tools.MedianMs(5, () => b.V("vol-upload", "up.img", data, "--pool", VirshPool)) : null;
        Tools.Report("vol-upload 1 GiB dense", ku, vu, 0.6);
        string outFile = Path.Combine(b.KPool, "..", "out.bin");
        double kd = Tools.MedianMs(5, () => { File.Delete(outFile); b.K("vol-download", "up.img", outFile, "--pool", "bench"); });
        double? vd = b.HasVirsh ? Tools.MedianMs(5, () => { File.Delete(outFile); b.V("vol-download", "up.img", outFile, "--pool", VirshPool); }) : null;
        Tools.Report("vol-download 1 GiB dense", kd, vd, 0.6);
        Console.WriteLine($"  peak RSS of kvmstor: {b.PeakKib / 1024.0:F1} MiB");
    }

    /// <summary>vol-wipe of a dense 1 GiB raw volume with zero (goal ≤ 1.0× libvirt).</summary>
    public static void Wipe(string kvmstor, string[]? virsh)
    {
        using var b = new VolumeBench(kvmstor, virsh);
        b.K("vol-create-as", "bench", "w.img", "1G");
        if (b.HasVirsh) b.V("vol-create-as", VirshPool, "w.img", "1G");
        double k = Tools.MedianMs(5, () => b.K("vol-wipe", "w.img", "--pool", "bench"));
        double? v = b.HasVirsh ? Tools.MedianMs(5, () => b.V("vol-wipe", "w.img", "--pool", VirshPool)) : null;
        Tools.Report("vol-wipe 1 GiB dense, zero", k, v, 1.0);
        Console.WriteLine($"  peak RSS of kvmstor: {b.PeakKib / 1024.0:F1} MiB");
    }

    /// <summary>vol-list --details on a pool of 5000 small files (goal ≤ 0.3× libvirt).</summary>
    public static void ListDetails5000(string kvmstor, string[]? virsh)
    {
        using var b = new VolumeBench(kvmstor, virsh);
        var block = new byte[4096];
        for (int i = 0; i < 5000; i++)
        {
            File.WriteAllBytes(Path.Combine(b.KPool, $"f{i:D4}.img"), block);
            if (b.HasVirsh) File.WriteAllBytes(Path.Combine(b.VPool, $"f{i:D4}.img"), block);
        }
        if (b.HasVirsh) b.V("pool-refresh", VirshPool);
        double k = Tools.MedianMs(5, () => b.K("vol-list", "bench", "--details"));
        double? v = b.HasVirsh ? Tools.MedianMs(3, () => b.V("vol-list", VirshPool, "--details")) : null;
        Tools.Report("vol-list --details, 5000 files", k, v, 0.3);
    }

    // Marks the part of an iteration that is measured; see Tools.MedianMs(subtractUntimed).
    private static void Timed(Action action) => Tools.TimedSection(action);
}
