using KvmStor.Backends.Devices;
using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.Backends.Mpath;

/// <summary>
/// libvirt's "mpath" pool (spec §3.6): every device-mapper map with a multipath target is a volume named dm-MINOR at
/// /dev/mapper/NAME (key = path). There is nothing to start or stop, and only one such pool per host (the engine's
/// source-conflict rule). Volumes cannot be created or deleted; their data can be uploaded, downloaded and wiped.
/// </summary>
public sealed class MpathPoolBackend(ICommandRunner runner, HostRoots roots) : DeviceVolumeBackend(roots), IPoolBackend, IPoolChecker
{
    private readonly DmsetupTool _dmsetup = new(runner);

    public MpathPoolBackend(ICommandRunner runner) : this(runner, HostRoots.System) { }

    public PoolType Type => PoolType.Mpath;

    /// <summary>libvirt's check: the pool runs while /dev/mapper (or the old /dev/mpath) exists.</summary>
    public bool CheckActive(PoolDefinition pool) =>
        Directory.Exists(Roots.OnHost("/dev/mapper")) || Directory.Exists(Roots.OnHost("/dev/mpath"));

    public PoolRefreshResult Refresh(PoolDefinition pool) => RefreshOf(ListVolumes(pool));

    /// <summary>
    /// The multipath maps. A kernel without device-mapper (no misc device "device-mapper" in sysfs, even when udev left a
    /// /dev/mapper/control node behind) has none, as libvirt reports on such a host; dmsetup is not even asked.
    /// </summary>
    protected override IReadOnlyList<VolumeDefinition> Devices(PoolDefinition pool)
    {
        if (!Directory.Exists(Roots.SysPath("class/misc/device-mapper"))) return [];
        return _dmsetup.ListMaps().Select(ToVolume).ToList();
    }

    private VolumeDefinition ToVolume(MultipathMap map)
    {
        string path = map.DevicePath;
        FileSystemStatus? status = FileSystem.TryStat(Roots.OnHost(path), true, out var s, out _) ? s : null;
        return DeviceVolume.Block(map.VolumeName, path, map.Bytes, status, key: path);
    }
}
