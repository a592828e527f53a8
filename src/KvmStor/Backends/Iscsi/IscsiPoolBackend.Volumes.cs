using KvmStor.Model;

namespace KvmStor.Backends.Iscsi;

// Volumes are the target's disk and cdrom LUNs, read live from sysfs like a scsi pool's (ScsiLunVolumes); their data is
// reached through the stable device path (DeviceVolumeBackend).
public sealed partial class IscsiPoolBackend
{
    protected override IReadOnlyList<VolumeDefinition> Devices(PoolDefinition pool) => Scan(pool, LiveSession(pool));

    /// <summary>libvirt's key: the SCSI serial scsi_id reports for the stable path (its /dev name), else the path itself.</summary>
    protected override VolumeDefinition WithKey(PoolDefinition pool, VolumeDefinition volume) =>
        _serials.Keyed(volume, volume.Target.Path!, npiv: false);

    private IscsiSession LiveSession(PoolDefinition pool)
    {
        string target = IscsiPortal.Of(pool.Source).Target;
        return IscsiSession.FromSysfs(Roots, target)
            ?? throw StorageException.Internal($"cannot find iscsiadm session: no session for target '{target}'");
    }

    /// <summary>The volumes of a session's SCSI host, without their keys.</summary>
    private List<VolumeDefinition> Scan(PoolDefinition pool, IscsiSession session) => _luns.List(pool.TargetPath, session.ScsiHost(Roots));
}
