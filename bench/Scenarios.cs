namespace KvmStor.Bench;

public sealed record Scenario(string Name, Action<string, string[]?> Run);

/// <summary>Each scenario sets up identical state for both tools, measures, and cleans up after itself.</summary>
public static class Scenarios
{
    public static IReadOnlyList<Scenario> All { get; } =
    [
        new("pool-list", PoolListStartup),
        new("wrapper", WrapperScenarios.Overhead),
        new("pool-list-200", PoolList200),
        new("complete-200", Complete200),
        new("vol-create-qcow2", VolumeScenarios.CreateQcow2),
        new("vol-clone", VolumeScenarios.CloneHalfHoles),
        new("vol-clone-xfs", VolumeScenarios.CloneOnXfs),
        new("vol-upload-download", VolumeScenarios.UploadDownload),
        new("vol-wipe", VolumeScenarios.Wipe),
        new("vol-list-5000", VolumeScenarios.ListDetails5000),
        new("fs-build-start", BlockScenarios.FsBuildStart),
        new("disk-20-partitions", BlockScenarios.DiskTwentyPartitions),
        new("iscsi-start-refresh-16", IscsiScenarios.StartRefresh16),
        new("iscsi-upload-download-512m", IscsiScenarios.UploadDownload512),
        new("gluster-upload-download", GlusterScenarios.UploadDownload),
        new("rbd-refresh-1000", RbdScenarios.Refresh1000),
        new("rbd-create-clone-delete-100", RbdScenarios.CreateCloneDelete100),
        new("rbd-upload-download-256", RbdScenarios.UploadDownload256),
        new("serve-pool-list-200", ServeScenarios.PoolList200),
        new("serve-lookup-1000", ServeScenarios.Lookup1000),
        new("serve-vol-list-5000", ServeScenarios.VolList5000),
        new("serve-upload-download-1g", ServeScenarios.UploadDownload1G),
        new("serve-rbd-create-100", RbdScenarios.CreateThroughServe100),
    ];

    /// <summary>A fresh session state for kvmstor under a temp directory.</summary>
    internal sealed class KvmstorState : IDisposable
    {
        public string Root { get; } = Directory.CreateTempSubdirectory("kvmstor-bench-").FullName;
        public Dictionary<string, string> Env => new()
        {
            ["XDG_CONFIG_HOME"] = Path.Combine(Root, "config"),
            ["XDG_STATE_HOME"] = Path.Combine(Root, "xdg-state"),
            ["XDG_RUNTIME_DIR"] = Path.Combine(Root, "run"),
            ["KVMSTOR_DEFAULT_URI"] = "kvmstor:///session",
        };
        public void Dispose() => Directory.Delete(Root, true);
    }

    private static void Check((int Code, string Output) r, string what)
    {
        if (r.Code != 0) throw new InvalidOperationException($"{what} failed: {r.Output}");
    }

    /// <summary>CLI start-up: one `pool-list` process. Goal: no slower than virsh (41 ms measured here).</summary>
    private static void PoolListStartup(string kvmstor, string[]? virsh)
    {
        using var state = new KvmstorState();
        double k = Tools.MedianMs(20, () => Check(Tools.Run(kvmstor, ["pool-list"], state.Env), "kvmstor pool-list"));
        double? v = virsh is null ? null : Tools.MedianMs(20, () => Check(Tools.Run(virsh[0], virsh[1..].Append("pool-list"), null), "virsh pool-list"));
        Tools.Report("pool-list (process start-up)", k, v, 1.0);
    }

    /// <summary>`pool-list --all` with 200 defined pools. Goal: at most half of virsh's time (183 ms measured here).</summary>
    private static void PoolList200(string kvmstor, string[]? virsh)
    {
        using var state = new KvmstorState();
        for (int i = 0; i < 200; i++)
            Check(Tools.Run(kvmstor, ["pool-define-as", $"bench{i}", "dir", "--target", Path.Combine(state.Root, "pools", $"bench{i}")], state.Env), "define");
        double k = Tools.MedianMs(10, () => Check(Tools.Run(kvmstor, ["pool-list", "--all"], state.Env), "kvmstor pool-list --all"));

        double? v = WithVirsh200Pools(virsh,
            v => Tools.MedianMs(10, () => Check(Tools.Run(v[0], v[1..].Concat(["pool-list", "--all"]), null), "virsh pool-list --all")));
        Tools.Report("pool-list --all, 200 defined pools", k, v, 0.5);
    }

    /// <summary>Runs <paramref name="measure"/> while the server behind <paramref name="virsh"/> (libvirtd, or kvmstor serve) holds 200 defined pools (none when there is no virsh).</summary>
    internal static double? WithVirsh200Pools(string[]? virsh, Func<string[], double> measure)
    {
        if (virsh is null) return null;
        string dir = Directory.CreateTempSubdirectory("virsh-bench-").FullName;
        var names = Enumerable.Range(0, 200).Select(i => $"kvmstorbench{i}").ToList();
        try
        {
            Check(Tools.Run(virsh[0], virsh[1..].Append(string.Join(";", names.Select(n => $"pool-define-as {n} dir --target {dir}/{n}"))), null), "virsh define");
            return measure(virsh);
        }
        finally
        {
            Tools.Run(virsh[0], virsh[1..].Append(string.Join(";", names.Select(n => $"pool-undefine {n}"))), null);
            Directory.Delete(dir, true);
        }
    }

    /// <summary>
    /// Tab completion with 200 pools (100 running): `complete -- pool-info ""` (every pool) and `complete -- pool-start ""`
    /// (the inactive ones), as the bash completion script asks. Goal: under 20 ms each; virsh answers the same
    /// `complete` command through libvirtd.
    /// </summary>
    private static void Complete200(string kvmstor, string[]? virsh)
    {
        using var state = new KvmstorState();
        string Target(int i) => Path.Combine(state.Root, "pools", $"bench{i}");
        Check(Tools.Run(kvmstor, ["-q", string.Join(";", Enumerable.Range(0, 200).Select(i => $"pool-define-as bench{i} dir --target {Target(i)}"))], state.Env), "define");
        Check(Tools.Run(kvmstor, ["-q", string.Join(";", Enumerable.Range(0, 100).Select(i => $"pool-build bench{i}; pool-start bench{i}"))], state.Env), "start");
        foreach (var (command, expected) in new[] { ("pool-info", 200), ("pool-start", 100) })
        {
            var (_, output) = Tools.Run(kvmstor, ["complete", "--", command, ""], state.Env);
            int pools = output.Split('\n').Count(l => l.StartsWith("bench"));
            if (pools != expected) throw new InvalidOperationException($"complete -- {command} offered {pools} pools, not {expected}");
            double k = Tools.MedianMs(20, () => Check(Tools.Run(kvmstor, ["complete", "--", command, ""], state.Env), "kvmstor complete"));
            double? v = WithVirsh200Pools(virsh,
                v => Tools.MedianMs(20, () => Check(Tools.Run(v[0], v[1..].Concat(["complete", "--", command, ""]), null), "virsh complete")));
            Tools.Report($"complete -- {command} '', 200 pools ({expected} offered)", k, v, goalMs: 20);
        }
    }
}
