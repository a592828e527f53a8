using KvmStor.Host;

namespace KvmStor.Backends.Logical;

/// <summary>
/// The lvm command lines of a logical pool, argument for argument as libvirt's logical backend builds them (so that
/// they render like libvirt's golden .argv files), plus the thin-volume form kvmstor adds.
/// </summary>
public static class LvmCommands
{
    /// <summary>The lvs fields libvirt reads, in its order, then the three kvmstor adds for thin volumes and snapshots.</summary>
    public const string LvsFields =
        "lv_name,origin,uuid,devices,segtype,stripes,seg_size,vg_extent_size,size,lv_attr,pool_lv,data_percent,origin_size";

    public static CommandLine VgChange(string vg, bool activate) => new("vgchange", activate ? "-aly" : "-aln", vg);

    public static CommandLine VgScan() => new("vgscan");

    public static CommandLine PvsSources() => new("pvs", "--noheadings", "-o", "pv_name,vg_name");

    public static CommandLine PvCreate(string device) => new("pvcreate", device);

    public static CommandLine PvRemove(string device) => new("pvremove", device);

    public static CommandLine VgCreate(string vg, IEnumerable<string> devices) => new("vgcreate", [vg, .. devices]);

    public static CommandLine VgRemove(string vg) => new("vgremove", "-f", vg);

    public static CommandLine Lvs(string vg) =>
        new("lvs", "--separator", "#", "--noheadings", "--units", "b", "--unbuffered", "--nosuffix", "--options", LvsFields, vg);

    public static CommandLine Vgs(string vg) =>
        new("vgs", "--separator", ":", "--noheadings", "--units", "b", "--unbuffered", "--nosuffix", "--options", "vg_size,vg_free", vg);

    /// <summary>
    /// libvirt's lvcreate: thick when allocation equals capacity, otherwise a snapshot of a zero origin with a virtual
    /// size (sparse); with a backing path the volume is a snapshot of it (<c>-s path</c> takes the VG's place).
    /// </summary>
    public static CommandLine LvCreate(string vg, string name, ulong capacity, ulong allocation, string? backingPath)
    {
        var args = new List<string> { "--name", name, "-L" };
        if (capacity != allocation)
        {
            args.Add(KiB(Math.Max(allocation, 1)));
            args.AddRange(["--type", "snapshot", "--virtualsize"]);
        }
        args.Add(KiB(capacity));
        if (backingPath is not null) args.AddRange(["-s", backingPath]);
        else args.Add(vg);
        args.Add("--yes");
        return new CommandLine("lvcreate", args);
    }

    /// <summary>A thin volume of <paramref name="capacity"/> bytes allocated from the thin pool LV <paramref name="thinPool"/>.</summary>
    public static CommandLine LvCreateThin(string vg, string thinPool, string name, ulong capacity) =>
        new("lvcreate", "--thin", "--virtualsize", KiB(capacity), "--name", name, $"{vg}/{thinPool}", "--yes");

    public static CommandLine LvRemove(string path) => new("lvremove", "-f", path);

    public static CommandLine LvChangeDeactivate(string path) => new("lvchange", "-aln", path);

    /// <summary>Sizes in whole KiB, rounded up (libvirt's VIR_DIV_UP(bytes, 1024) followed by "K").</summary>
    private static string KiB(ulong bytes) => $"{bytes / 1024 + (bytes % 1024 == 0 ? 0UL : 1UL)}K";
}
