using KvmStor.Host;
using KvmStor.Model;
using KvmStor.Xml;

namespace KvmStor.Backends.Logical;

/// <summary>
/// An LVM volume group; its active LVs are the volumes. Everything goes through lvm's tools (run by the injected
/// <see cref="ICommandRunner"/>, so tests can replay them), with libvirt's command lines and rules.
/// </summary>
public sealed partial class LogicalPoolBackend : IPoolBackend, IPoolChecker, IPoolBuilder, IPoolStarter, IPoolStopper, IPoolDeleter, ISourceFinder,
    IVolumeBackend, IVolumeCreator, IVolumeCloner, IVolumeDeleter, IVolumeUploader, IVolumeDownloader, IVolumeWiper
{
    private readonly LvmTools _lvm;

    public LogicalPoolBackend(ICommandRunner runner) => _lvm = new LvmTools(runner);

    public PoolType Type => PoolType.Logical;

    /// <summary>Running when /dev/&lt;vg&gt; exists (some LV is active) and the VG is on the configured devices (libvirt's check).</summary>
    public bool CheckActive(PoolDefinition pool)
    {
        if (!Directory.Exists(TargetPath(pool))) return false;
        try
        {
            RequireMatchingVolumeGroup(pool);
            return true;
        }
        catch (StorageException)
        {
            return false;
        }
    }

    public void Start(PoolDefinition pool)
    {
        RequireMatchingVolumeGroup(pool);
        _lvm.Run(LvmCommands.VgChange(VolumeGroup(pool), activate: true));
    }

    public void Stop(PoolDefinition pool) => _lvm.Run(LvmCommands.VgChange(VolumeGroup(pool), activate: false));

    /// <summary>
    /// pvcreate on every device (each probed first unless --overwrite, and cleared at both ends), then vgcreate. On
    /// failure the devices that became PVs are released again (pvremove), so a second build can start afresh.
    /// </summary>
    public void Build(PoolDefinition pool, PoolBuildFlags flags)
    {
        if (flags.HasFlag(PoolBuildFlags.Overwrite) && flags.HasFlag(PoolBuildFlags.NoOverwrite))
            throw StorageException.InvalidArg(
                "Flags 'VIR_STORAGE_POOL_BUILD_OVERWRITE' and 'VIR_STORAGE_POOL_BUILD_NO_OVERWRITE' are mutually exclusive");
        string vg = VolumeGroup(pool);
        var devices = pool.Source.Devices.Select(d => d.Path).ToList();
        var initialized = new List<string>();
        try
        {
            foreach (var device in devices)
            {
                // Beyond libvirt: a mounted device (or one with a mounted partition, or active swap) is never made a PV.
                new DeviceUsage().RequireUnused(device, includePartitions: true);
                if (!flags.HasFlag(PoolBuildFlags.Overwrite))
                    // blkid calls a physical volume LVM2_member; libvirt probes for that name.
                    DeviceProbeDecision.Require(device, "LVM2_member", new DeviceProbe(_lvm.Runner).Probe(device), writeLabel: true, expectsPartitionTable: false);
                PhysicalVolumeInitializer.ClearLabels(device);
                _lvm.Run(LvmCommands.PvCreate(device));
                initialized.Add(device);
            }
            _lvm.Run(LvmCommands.VgCreate(vg, devices));
        }
        catch (StorageException)
        {
            foreach (var device in initialized)
                _lvm.TryRun(LvmCommands.PvRemove(device));
            throw;
        }
    }

    public void Delete(PoolDefinition pool)
    {
        _lvm.Run(LvmCommands.VgRemove(VolumeGroup(pool)));
        foreach (var device in pool.Source.Devices)
            _lvm.Run(LvmCommands.PvRemove(device.Path));
    }

    public PoolRefreshResult Refresh(PoolDefinition pool)
    {
        var volumes = LoadVolumes(pool).Select(v => v.Definition).ToList();
        var sizes = VgsReport.Parse(_lvm.Run(LvmCommands.Vgs(VolumeGroup(pool))).StandardOutput);
        ulong capacity = sizes?.Size ?? 0, available = sizes?.Free ?? 0;
        return new PoolRefreshResult
        {
            Capacity = capacity,
            Available = available,
            Allocation = capacity >= available ? capacity - available : 0,
            Volumes = volumes,
        };
    }

    /// <summary>Every VG with its PVs (the source spec, if any, narrows nothing: libvirt ignores it for logical pools).</summary>
    public IReadOnlyList<PoolSource> FindSources(string? sourceSpecXml)
    {
        if (sourceSpecXml is not null) SourcesXml.ParseSourceSpec(sourceSpecXml, PoolType.Logical);
        return ListVolumeGroups();
    }

    /// <summary>vgscan (its failure only means a less fresh view, as in libvirt), then the PVs of every VG.</summary>
    private IReadOnlyList<PoolSource> ListVolumeGroups()
    {
        _lvm.TryRun(LvmCommands.VgScan());
        return PvsReport.Parse(_lvm.Run(LvmCommands.PvsSources()).StandardOutput);
    }

    /// <summary>The VG must exist and, when the pool names devices, sit on at least one of them (libvirt's rule).</summary>
    private void RequireMatchingVolumeGroup(PoolDefinition pool)
    {
        string vg = VolumeGroup(pool);
        var found = ListVolumeGroups().FirstOrDefault(s => s.Name == vg)
            ?? throw StorageException.Invalid($"cannot find logical volume group name '{vg}'");
        if (pool.Source.Devices.Count == 0) return;
        bool anyMatch = pool.Source.Devices.Any(d => found.Devices.Any(f => f.Path == d.Path));
        if (!anyMatch)
            throw StorageException.Invalid($"cannot find any matching source devices for logical volume group '{vg}'");
    }

    private static string VolumeGroup(PoolDefinition pool) =>
        pool.Source.Name ?? throw StorageException.Xml("missing source name of logical pool");

    /// <summary>libvirt always uses /dev/&lt;vg&gt; as a logical pool's target.</summary>
    private static string TargetPath(PoolDefinition pool) => pool.TargetPath ?? "/dev/" + VolumeGroup(pool);
}
