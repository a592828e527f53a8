using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.Backends.Disk;

/// <summary>
/// A whole disk whose partitions are the volumes (libvirt's "disk" pool, spec §3.4). The label is written and read
/// with parted; partitions are listed with <c>parted -m … print free</c> in place of libvirt_parthelper.
/// </summary>
/// <param name="deviceExists">Whether a device node exists; tests replaying recorded output stand in paths absent here.</param>
public sealed partial class DiskPoolBackend(ICommandRunner runner, DeviceUsage usage, Func<string, bool>? deviceExists = null)
    : IPoolBackend, IPoolChecker, IPoolBuilder, IPoolStarter, IPoolDeleter, ISourceFinder,
      IVolumeBackend, IVolumeCreator, IVolumeCloner, IVolumeDeleter, IVolumeUploader, IVolumeDownloader, IVolumeWiper
{
    private const int WipeBytes = 1 << 20;

    public DiskPoolBackend(ICommandRunner runner) : this(runner, new DeviceUsage()) { }

    public PoolType Type => PoolType.Disk;

    /// <summary>libvirt's check: the pool is running while its device exists.</summary>
    public bool CheckActive(PoolDefinition pool) => DeviceExists(Device(pool).Path);

    public void Build(PoolDefinition pool, PoolBuildFlags flags)
    {
        string device = RequireDevice(pool);
        string format = LabelFormat(pool);
        PartedCommands.RequireInstalled(runner);
        usage.RequireUnused(device, includePartitions: true);
        if (!flags.HasFlag(PoolBuildFlags.Overwrite))
            DeviceProbeDecision.Require(device, format, new DeviceProbe(runner).ProbeForLabel(device, format), writeLabel: true, expectsPartitionTable: true);
        using var tableLock = LockPartitionTable(device);
        ZeroLabelAreas(device);
        runner.RunChecked(PartedCommands.MakeLabel(device, PartedCommands.LabelName(format)));
    }

    public void Start(PoolDefinition pool)
    {
        string device = RequireDevice(pool);
        PartedCommands.RequireInstalled(runner);
        DeviceProbeDecision.Require(device, LabelFormat(pool), new DeviceProbe(runner).ProbeForLabel(device, LabelFormat(pool)), writeLabel: false, expectsPartitionTable: true);
    }

    /// <summary>Wipes the label: the first and last MiB of the device are zeroed (libvirt's rule).</summary>
    public void Delete(PoolDefinition pool)
    {
        string device = RequireDevice(pool);
        usage.RequireUnused(device, includePartitions: true);
        using var tableLock = LockPartitionTable(device);
        ZeroLabelAreas(device);
    }

    public PoolRefreshResult Refresh(PoolDefinition pool)
    {
        var layout = ReadLayout(pool);
        var (capacity, allocation, available) = layout.Totals();
        var device = Device(pool) with { FreeExtents = layout.Free.Select(f => new FreeExtent(f.Start, f.End)).ToList() };
        return new PoolRefreshResult
        {
            Capacity = capacity,
            Allocation = allocation,
            Available = available,
            Volumes = layout.Partitions.Select(p => ToVolume(pool, p)).ToList(),
            Source = pool.Source with { Devices = [device], Format = LabelFormat(pool) },
        };
    }

    public IReadOnlyList<PoolSource> FindSources(string? sourceSpecXml) => new DiskSourceFinder(runner).FindSources();

    /// <summary>
    /// The partition table, with each partition's content type read by blkid. <paramref name="probe"/> limits blkid to
    /// the partitions a caller needs (one lookup need not probe every partition: that made N creations cost N²).
    /// </summary>
    internal DiskLayout ReadLayout(PoolDefinition pool, Func<string, bool>? probe = null)
    {
        var source = Device(pool);
        if (!DeviceExists(source.Path)) throw StorageException.InvalidArg($"device path '{source.Path}' doesn't exist");
        PartedCommands.RequireInstalled(runner);
        var table = PartedTable.Parse(runner.RunChecked(PartedCommands.PrintFree(source.Path)).StandardOutput);
        var provisional = DiskLayout.From(table, source, new Dictionary<string, Dictionary<string, string>>());
        var probed = provisional.Partitions.Where(p => probe?.Invoke(p.Name) ?? true).Select(p => p.Path);
        return DiskLayout.From(table, source, PartitionTypes(probed));
    }

    /// <summary>blkid's partition-table values of each partition, in one call, keyed by device path.</summary>
    private Dictionary<string, Dictionary<string, string>> PartitionTypes(IEnumerable<string> partitions)
    {
        var existing = partitions.Where(DeviceExists).ToArray();
        var byDevice = new Dictionary<string, Dictionary<string, string>>();
        if (existing.Length == 0 || !runner.Exists(DeviceProbe.BlkidProgram)) return byDevice;
        var result = runner.Run(DeviceProbe.BlkidCommand(existing));
        foreach (var block in DeviceProbe.ParseExport(result.StandardOutput))
            if (block.TryGetValue("DEVNAME", out var name)) byDevice[name] = block;
        return byDevice;
    }

    private static PoolSourceDevice Device(PoolDefinition pool) =>
        pool.Source.Devices.FirstOrDefault() ?? throw StorageException.Xml("missing storage pool source device name");

    private string RequireDevice(PoolDefinition pool)
    {
        string path = Device(pool).Path;
        if (!DeviceExists(path)) throw StorageException.InvalidArg($"device path '{path}' doesn't exist");
        return path;
    }

    /// <summary>An unknown label format means dos, as in libvirt's start and build.</summary>
    private static string LabelFormat(PoolDefinition pool) =>
        pool.Source.Format is null or "unknown" ? "dos" : pool.Source.Format;

    private bool DeviceExists(string path) => deviceExists?.Invoke(path) ?? File.Exists(path);

    private static void ZeroLabelAreas(string device)
    {
        // A raw open(2): .NET's own open would take a shared flock, which the partition-table lock held here excludes.
        int fd = Libc.open(device, Libc.O_RDWR | Libc.O_CLOEXEC, 0);
        if (fd < 0) throw StorageException.System($"cannot open '{device}'", System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
        using var handle = new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true);
        var status = FileSystem.Stat(handle);
        ulong size = FileSystem.SizeOf(handle, status);
        var zeros = new byte[(int)Math.Min((ulong)WipeBytes, size)];
        RandomAccess.Write(handle, zeros, 0);
        if (size > (ulong)zeros.Length) RandomAccess.Write(handle, zeros, (long)(size - (ulong)zeros.Length));
        FileSystem.DataSync(handle);
    }
}
