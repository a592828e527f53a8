using KvmStor.IntegrationTests;

namespace KvmStor.Bench;

/// <summary>
/// 256 MiB upload and download to a GlusterFS-backed netfs pool (issue "Storage beyond one machine", item 7):
/// kvmstor vol-upload/vol-download, virsh's (when a libvirt answers; its own netfs pool on the same volume), and
/// plain cp and dd through kvmstor's mount of the same volume. The bench starts its own glusterd on 127.0.0.1
/// (the test suite's fixture) with a one-brick volume, and stops it afterwards.
/// </summary>
public static class GlusterScenarios
{
    private const long Size = 256L << 20;
    private const int Runs = 3;
    private const string VirshPool = "kvmstorbench-gl";

    public static void UploadDownload(string kvmstor, string[]? virsh)
    {
        using var server = GlusterServer.Start("kbench");
        string root = Directory.CreateTempSubdirectory("kvmstor-glbench-").FullName;
        var env = new Dictionary<string, string>
        {
            ["XDG_CONFIG_HOME"] = Path.Combine(root, "config"),
            ["XDG_STATE_HOME"] = Path.Combine(root, "xdg-state"),
            ["XDG_RUNTIME_DIR"] = Path.Combine(root, "run"),
            ["KVMSTOR_DEFAULT_URI"] = "kvmstor:///session",
        };
        string kTarget = Path.Combine(root, "kpool"), vTarget = Path.Combine(root, "vpool");
        string source = Path.Combine(root, "source.img"), back = Path.Combine(root, "back.img");
        void K(params string[] args) => Check(Tools.Run(kvmstor, args, env), "kvmstor " + string.Join(' ', args));
        void V(params string[] args) => Check(Tools.Run(virsh![0], virsh[1..].Concat(args), null), "virsh " + string.Join(' ', args));
        try
        {
            VolumeBench.MakeFile(source, Size, halfHoles: false);
            K("pool-create-as", "gbench", "netfs", "--source-host", GlusterServer.Host, "--source-path", "/kbench",
                "--source-format", "glusterfs", "--target", kTarget, "--build");
            int n = 0;
            double kUp = Tools.MedianMs(Runs, () =>
            {
                string name = $"k{n++}.raw";
                K("vol-create-as", "gbench", name, Size.ToString());
                Tools.TimedSection(() => K("vol-upload", "--pool", "gbench", name, source));
            }, subtractUntimed: true);
            double kDown = Tools.MedianMs(Runs, () => K("vol-download", "--pool", "gbench", "k0.raw", back));
            Verify(source, back, "kvmstor download");

            double? vUp = null, vDown = null;
            if (virsh is not null)
            {
                Tools.Run(virsh[0], virsh[1..].Concat(["pool-destroy", VirshPool]), null);
                V("pool-create-as", VirshPool, "netfs", "--source-host", GlusterServer.Host, "--source-path", "/kbench",
                    "--source-format", "glusterfs", "--target", vTarget, "--build");
                try
                {
                    int m = 0;
                    vUp = Tools.MedianMs(Runs, () =>
                    {
                        string name = $"v{m++}.raw";
                        V("vol-create-as", VirshPool, name, Size.ToString());
                        Tools.TimedSection(() => V("vol-upload", "--pool", VirshPool, name, source));
                    }, subtractUntimed: true);
                    vDown = Tools.MedianMs(Runs, () => V("vol-download", "--pool", VirshPool, "v0.raw", back));
                    Verify(source, back, "virsh download");
                }
                finally { Tools.Run(virsh[0], virsh[1..].Concat(["pool-destroy", VirshPool]), null); }
            }

            // The same bytes through the same mount with the shell's tools.
            int c = 0;
            double cpUp = Tools.MedianMs(Runs, () => Check(Tools.Run("cp", source, Path.Combine(kTarget, $"cp{c++}.raw")), "cp"));
            double cpDown = Tools.MedianMs(Runs, () => Check(Tools.Run("cp", Path.Combine(kTarget, "cp0.raw"), back), "cp"));
            int d = 0;
            double ddUp = Tools.MedianMs(Runs, () => Check(Tools.Run("dd", $"if={source}", $"of={Path.Combine(kTarget, $"dd{d++}.raw")}", "bs=4M", "status=none"), "dd"));
            double ddDown = Tools.MedianMs(Runs, () => Check(Tools.Run("dd", $"if={Path.Combine(kTarget, "dd0.raw")}", $"of={back}", "bs=4M", "status=none"), "dd"));

            Tools.Report("gluster netfs: vol-upload 256 MiB", kUp, vUp);
            Tools.Report("gluster netfs: vol-download 256 MiB", kDown, vDown);
            Against("upload", kUp, "cp", cpUp);
            Against("download", kDown, "cp", cpDown);
            Against("upload", kUp, "dd bs=4M", ddUp);
            Against("download", kDown, "dd bs=4M", ddDown);
            Console.WriteLine($"  throughput: kvmstor up {Size / 1048576.0 / (kUp / 1000):F0} MiB/s, down {Size / 1048576.0 / (kDown / 1000):F0} MiB/s");
        }
        finally
        {
            Tools.Run(kvmstor, ["pool-destroy", "gbench"], env);
            Directory.Delete(root, recursive: true);
            GlusterServer.RemoveClientLogsUnder(root);
        }
    }

    /// <summary>kvmstor against a shell tool through the same mount (that tool's time, and kvmstor's as a ratio of it).</summary>
    private static void Against(string what, double kvmstorMs, string tool, double toolMs) =>
        Console.WriteLine($"  {what} through the mount with {tool,-9} {toolMs,9:F1} ms   kvmstor/{tool} ratio {kvmstorMs / toolMs:F2}");

    private static void Check((int Code, string Output) r, string what)
    {
        if (r.Code != 0) throw new InvalidOperationException($"{what} failed: {r.Output}");
    }

    private static void Verify(string expected, string actual, string what)
    {
        using var a = File.OpenRead(expected);
        using var b = File.OpenRead(actual);
        var x = new byte[1 << 20];
        var y = new byte[1 << 20];
        int read;
        while ((read = a.Read(x)) > 0)
        {
            b.ReadExactly(y.AsSpan(0, read));
            if (!x.AsSpan(0, read).SequenceEqual(y.AsSpan(0, read))) throw new InvalidOperationException($"{what}: data differs");
        }
    }
}
