using System.Globalization;
using KvmStor.IntegrationTests.Iscsi;

namespace KvmStor.Bench;

/// <summary>
/// iscsi-direct side by side (issue 6, item 6), against the same private tgtd (the integration tests' fixture):
/// pool-start + pool-refresh of a 16-LUN target (kvmstor vs libvirt's iscsi-direct pool, when virsh answers), and a
/// 512 MiB upload/download to one LUN (kvmstor vs `qemu-img convert` to/from the iscsi:// URL, since libvirt cannot
/// upload to iscsi-direct volumes).
/// </summary>
public static class IscsiScenarios
{
    private const string Initiator = "iqn.2026-01.bench.kvmstor:initiator";
    private const long Mib = 1 << 20;

    private static Dictionary<string, string> KvmstorEnv(string root) => new()
    {
        ["XDG_CONFIG_HOME"] = Path.Combine(root, "config"),
        ["XDG_STATE_HOME"] = Path.Combine(root, "xdg-state"),
        ["XDG_RUNTIME_DIR"] = Path.Combine(root, "run"),
        ["KVMSTOR_DEFAULT_URI"] = "kvmstor:///session",
    };

    private static void Ok(string program, IEnumerable<string> args, Dictionary<string, string>? env)
    {
        var r = Tools.Run(program, args, env);
        if (r.Code != 0) throw new InvalidOperationException($"{program} {string.Join(' ', args)}: {r.Output}");
    }

    private static string PoolXml(string name, TgtdTarget target) =>
        $"<pool type='iscsi-direct'><name>{name}</name><source><host name='127.0.0.1' port='{target.Port}'/>" +
        $"<device path='{target.Iqn}'/><initiator><iqn name='{Initiator}'/></initiator></source></pool>";

    /// <summary>pool-start + pool-refresh of a target with 16 LUNs (64 MiB sparse files).</summary>
    public static void StartRefresh16(string kvmstor, string[]? virsh)
    {
        using var target = TgtdTarget.Start("iqn.2026-01.bench.kvmstor:sixteen", Enumerable.Repeat(new TgtdLun(64 * Mib), 16).ToList());
        string root = Directory.CreateTempSubdirectory("kvmstor-bench-iscsi-").FullName;
        try
        {
            string file = Path.Combine(root, "pool.xml");
            string name = $"kvmstorbenchisd{Environment.ProcessId}";
            File.WriteAllText(file, PoolXml(name, target));
            double k = Measure([kvmstor], KvmstorEnv(root), file, name);
            double? v = virsh is null ? null : Measure(virsh, null, file, name);
            Tools.Report("iscsi-direct: pool-start + pool-refresh, 16 LUNs", k, v);
        }
        finally { Directory.Delete(root, true); }

        static double Measure(string[] tool, Dictionary<string, string>? env, string file, string name)
        {
            Ok(tool[0], tool[1..].Concat(["pool-define", file]), env);
            try
            {
                return Tools.MedianMs(10, () =>
                {
                    Tools.TimedSection(() =>
                    {
                        Ok(tool[0], tool[1..].Concat(["pool-start", name]), env);
                        Ok(tool[0], tool[1..].Concat(["pool-refresh", name]), env);
                    });
                    Ok(tool[0], tool[1..].Concat(["pool-destroy", name]), env);
                }, subtractUntimed: true);
            }
            finally
            {
                Tools.Run(tool[0], tool[1..].Concat(["pool-destroy", name]), env);
                Tools.Run(tool[0], tool[1..].Concat(["pool-undefine", name]), env);
            }
        }
    }

    /// <summary>512 MiB of random data uploaded to a LUN and downloaded again: kvmstor vs qemu-img convert.</summary>
    public static void UploadDownload512(string kvmstor, string[]? virsh)
    {
        using var target = TgtdTarget.Start("iqn.2026-01.bench.kvmstor:big", [new TgtdLun(512 * Mib)]);
        string root = Directory.CreateTempSubdirectory("kvmstor-bench-iscsi-").FullName;
        try
        {
            var env = KvmstorEnv(root);
            string src = Path.Combine(root, "src.bin"), back = Path.Combine(root, "back.bin");
            using (var f = File.Create(src))
            {
                var chunk = new byte[4 * Mib];
                for (int i = 0; i < 128; i++) { Random.Shared.NextBytes(chunk); f.Write(chunk); }
            }
            string file = Path.Combine(root, "pool.xml");
            File.WriteAllText(file, PoolXml("benchbig", target));
            Ok(kvmstor, ["pool-define", file], env);
            Ok(kvmstor, ["pool-start", "benchbig"], env);
            string url = $"iscsi://127.0.0.1:{target.Port}/{target.Iqn}/1";
            const int runs = 3;

            double kUp = Tools.MedianMs(runs, () => Ok(kvmstor, ["vol-upload", "unit:0:0:1", src, "--pool", "benchbig"], env));
            double qUp = Tools.MedianMs(runs, () => Ok("qemu-img", ["convert", "-n", "-f", "raw", "-O", "raw", src, url], null));
            double kDown = Tools.MedianMs(runs, () => { File.Delete(back); Ok(kvmstor, ["vol-download", "unit:0:0:1", back, "--pool", "benchbig"], env); });
            double qDown = Tools.MedianMs(runs, () => { File.Delete(back); Ok("qemu-img", ["convert", "-f", "raw", "-O", "raw", url, back], null); });
            if (!File.ReadAllBytes(src).AsSpan().SequenceEqual(File.ReadAllBytes(back)))
                throw new InvalidOperationException("downloaded data differs from the uploaded file");
            Report("iscsi-direct: vol-upload 512 MiB to a LUN", kUp, qUp);
            Report("iscsi-direct: vol-download 512 MiB from a LUN", kDown, qDown);
            Tools.Run(kvmstor, ["pool-destroy", "benchbig"], env);
        }
        finally { Directory.Delete(root, true); }
    }

    private static void Report(string what, double kvmstorMs, double qemuImgMs) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{what,-48} kvmstor {kvmstorMs,9:F1} ms   qemu-img {qemuImgMs,9:F1} ms   ratio {kvmstorMs / qemuImgMs:F2}"));
}
