using KvmStor.Host;

namespace KvmStor.Backends.Fs;

/// <summary>
/// mkfs for fs-pool builds: <c>mkfs -t &lt;format&gt; [force flag] &lt;device&gt;</c> as libvirt runs it, plus the Debian
/// package that provides each mkfs.&lt;format&gt; helper so a missing tool gets an actionable error.
/// </summary>
public static class MkfsCommand
{
    /// <summary>Where Debian's libvirt finds it; shown in "Child process (…)" errors.</summary>
    public const string Program = "/sbin/mkfs";

    private static readonly Dictionary<string, string> DebianPackages = new(StringComparer.Ordinal)
    {
        ["ext2"] = "e2fsprogs",
        ["ext3"] = "e2fsprogs",
        ["ext4"] = "e2fsprogs",
        ["xfs"] = "xfsprogs",
        ["vfat"] = "dosfstools",
        ["btrfs"] = "btrfs-progs",
        ["udf"] = "udftools",
        ["gfs2"] = "gfs2-utils",
        ["ocfs2"] = "ocfs2-tools",
    };

    /// <summary>
    /// The helpers refuse to overwrite an existing filesystem without their own force flag (xfs -f, ext* -F); vfat's
    /// -I allows a whole device without a partition table. libvirt has checked (or been told) that overwriting is fine.
    /// </summary>
    public static CommandLine Format(string format, string device)
    {
        var args = new List<string> { "-t", format };
        string? force = format switch
        {
            "xfs" => "-f",
            "ext2" or "ext3" or "ext4" => "-F",
            "vfat" => "-I",
            _ => null,
        };
        if (force is not null) args.Add(force);
        args.Add(device);
        return new CommandLine(Program, args);
    }

    /// <summary>The helper program mkfs runs for a format (mkfs.ext4, mkfs.xfs, …).</summary>
    public static string Helper(string format) => "mkfs." + format;

    /// <summary>The Debian package holding mkfs.&lt;format&gt;, when there is one.</summary>
    public static string? DebianPackage(string format) => DebianPackages.GetValueOrDefault(format);
}
