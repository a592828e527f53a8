using System.Globalization;
using KvmStor.Host;

namespace KvmStor.Backends.Zfs;

/// <summary>The zfs and zpool command lines of a zfs pool, as libvirt's backend builds them (sizes in KiB, rounded up).</summary>
public static class ZfsCommands
{
    public const string Zfs = "zfs";
    public const string Zpool = "zpool";

    /// <summary>Exit status 0 when the dataset exists (a zpool's root is a filesystem too).</summary>
    public static CommandLine CheckDataset(string dataset) => new(Zfs, "list", "-H", "-t", "filesystem", "-o", "name", dataset);

    public static CommandLine PoolProperties(string zpool) => new(Zpool, "get", "-Hp", "health,size,free,allocated", zpool);

    public static CommandLine ListVolumes(string dataset) =>
        new(Zfs, "list", "-Hp", "-t", "volume", "-r", "-o", "name,volsize,refreservation", dataset);

    /// <summary>"zfs get" alone prints its usage, with every property it knows, and exits 2: libvirt's volmode probe.</summary>
    public static CommandLine PropertyUsage() => new CommandLine(Zfs, "get").WithEnvironment("LC_ALL", "C");

    /// <param name="force">zpool's -f: use devices even when they seem to hold other data.</param>
    public static CommandLine CreatePool(string zpool, IEnumerable<string> devices, bool force = false) =>
        new(Zpool, ["create", .. (force ? new[] { "-f" } : []), zpool, .. devices]);

    /// <summary>A dataset inside an existing zpool, never mounted: it only holds zvols.</summary>
    public static CommandLine CreateDataset(string dataset) => new(Zfs, "create", "-o", "mountpoint=none", dataset);

    public static CommandLine DestroyPool(string zpool) => new(Zpool, "destroy", zpool);

    public static CommandLine DestroyDataset(string dataset) => new(Zfs, "destroy", "-r", dataset);

    /// <summary>zfs create [-o volmode=dev] [-s -o refreservation=NK] -V NK dataset/vol; sparse when allocation differs from capacity.</summary>
    public static CommandLine CreateVolume(string dataset, string volume, ulong capacity, ulong allocation, bool volmodeDev)
    {
        var args = new List<string> { "create" };
        if (volmodeDev) args.AddRange(["-o", "volmode=dev"]);
        if (allocation != capacity) args.AddRange(["-s", "-o", $"refreservation={Kibibytes(allocation)}K"]);
        args.AddRange(["-V", $"{Kibibytes(capacity)}K", $"{dataset}/{volume}"]);
        return new CommandLine(Zfs, args);
    }

    public static CommandLine DestroyVolume(string dataset, string volume) => new(Zfs, "destroy", $"{dataset}/{volume}");

    public static CommandLine VolumeBlockSize(string dataset, string volume) =>
        new(Zfs, "get", "-Hp", "-o", "value", "volblocksize", $"{dataset}/{volume}");

    public static CommandLine SetVolumeSize(string dataset, string volume, ulong bytes) =>
        new(Zfs, "set", $"volsize={bytes.ToString(CultureInfo.InvariantCulture)}", $"{dataset}/{volume}");

    private static string Kibibytes(ulong bytes) => (bytes / 1024 + (bytes % 1024 == 0 ? 0UL : 1UL)).ToString(CultureInfo.InvariantCulture);
}
