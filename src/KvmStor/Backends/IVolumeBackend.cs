using KvmStor.Model;

namespace KvmStor.Backends;

/// <summary>
/// The volume half of a backend: how its volumes are found. Backends look volumes up live (no cache): a file pool
/// reads its directory, a block pool asks its tool. What can be done to volumes is said by the optional interfaces in
/// VolumeCapabilityInterfaces.cs.
/// </summary>
public interface IVolumeBackend
{
    IReadOnlyList<VolumeDefinition> ListVolumes(PoolDefinition pool);

    VolumeDefinition? FindVolume(PoolDefinition pool, string name);

    /// <summary>A volume of this pool whose key or path is <paramref name="keyOrPath"/>, or null.</summary>
    VolumeDefinition? FindVolumeByKeyOrPath(PoolDefinition pool, string keyOrPath);
}
