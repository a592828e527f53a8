namespace KvmStor.Bench;

/// <summary>
/// Local block storage side by side (issue "Local block storage", item 7): an fs pool's build + start, and 20
/// partitions created in a disk pool. Each tool gets its own loop device (root needed).
/// </summary>
public static class BlockScenarios
{
    private sealed class LoopDevice : IDisposable
    {
        public string Image { get; } = Path.Combine(Path.GetTempPath(), $"kvmstor-bench-{Guid.NewGuid():N}.img");
        public string Device { get; }

        public LoopDevice(long size)
        {
            Tools.Run("truncate", "-s", size.ToString(), Image);
            Device = Tools.Run("losetup", "-f", "-P", "--show", Image).Output.Trim();
        }

        public void Dispose()
        {
            Tools.Run("losetup", "-d", Device);
            File.Delete(Image);
        }
    }

    private sealed class Tool(string[] command, Dictionary<string, string>? env)
    {
        public void Ok(params string[] args)
        {
            var r = Tools.Run(command[0], command[1..].Concat(args), env);
            if (r.Code != 0) throw new InvalidOperationException($"{string.Join(' ', command)} {string.Join(' ', args)}: {r.Output}");
        }

        public void Try(params string[] args) => Tools.Run(command[0], command[1..].Concat(args), env);
    }

    private static Dictionary<string, string> KvmstorEnv(string root) => new()
    {
        ["XDG_CONFIG_HOME"] = Path.Combine(root, "config"),
        ["XDG_STATE_HOME"] = Path.Combine(root, "xdg-state"),
        ["XDG_RUNTIME_DIR"] = Path.Combine(root, "run"),
        ["KVMSTOR_DEFAULT_URI"] = "kvmstor:///session",
    };

    /// <summary>pool-build --overwrite (mkfs.ext4) + pool-start (mount) of an fs pool on a 256 MiB loop device.</summary>
    public static void FsBuildStart(string kvmstor, string[]? virsh)
    {
        string root = Directory.CreateTempSubdirectory("kvmstor-bench-fs-").FullName;
        try
        {
            double k = Measure(new Tool([kvmstor], KvmstorEnv(root)), Path.Combine(root, "kmnt"));
            double? v = virsh is null ? null : Measure(new Tool(virsh, null), Path.Combine(root, "vmnt"));
            Tools.Report("fs pool: pool-build --overwrite + pool-start (ext4)", k, v);
        }
        finally { Directory.Delete(root, true); }

        static double Measure(Tool tool, string target)
        {
            using var loop = new LoopDevice(256 << 20);
            string name = $"kvmstorbenchfs{Environment.ProcessId}";
            tool.Ok("pool-define-as", name, "fs", "--source-dev", loop.Device, "--source-format", "ext4", "--target", target);
            try
            {
                return Tools.MedianMs(5, () =>
                {
                    Tools.TimedSection(() =>
                    {
                        tool.Ok("pool-build", name, "--overwrite");
                        tool.Ok("pool-start", name);
                    });
                    tool.Ok("pool-destroy", name);
                }, subtractUntimed: true);
            }
            finally
            {
                tool.Try("pool-destroy", name);
                tool.Try("pool-undefine", name);
            }
        }
    }

    /// <summary>20 vol-create-as calls (16 MiB partitions) in a gpt disk pool on a 1 GiB loop device.</summary>
    public static void DiskTwentyPartitions(string kvmstor, string[]? virsh)
    {
        string root = Directory.CreateTempSubdirectory("kvmstor-bench-disk-").FullName;
        try
        {
            double k = Measure(new Tool([kvmstor], KvmstorEnv(root)));
            double? v = virsh is null ? null : Measure(new Tool(virsh, null));
            Tools.Report("disk pool: 20 × vol-create-as (gpt partitions)", k, v);
        }
        finally { Directory.Delete(root, true); }

        static double Measure(Tool tool)
        {
            using var loop = new LoopDevice(1L << 30);
            string name = $"kvmstorbenchdisk{Environment.ProcessId}";
            string basename = Path.GetFileName(loop.Device);
            tool.Ok("pool-define-as", name, "disk", "--source-dev", loop.Device, "--source-format", "gpt", "--target", "/dev");
            try
            {
                return Tools.MedianMs(3, () =>
                {
                    // A fresh label each round (untimed): libvirt 9.0 cannot vol-delete partitions of a loop device.
                    tool.Try("pool-destroy", name);
                    tool.Ok("pool-build", name, "--overwrite");
                    tool.Ok("pool-start", name);
                    Tools.TimedSection(() =>
                    {
                        for (int i = 1; i <= 20; i++) tool.Ok("vol-create-as", name, $"{basename}p{i}", "16M");
                    });
                }, subtractUntimed: true);
            }
            finally
            {
                tool.Try("pool-destroy", name);
                tool.Try("pool-delete", name);
                tool.Try("pool-undefine", name);
            }
        }
    }
}
