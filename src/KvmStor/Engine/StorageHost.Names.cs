using KvmStor.Backends;

namespace KvmStor.Engine;

// Names only, for tab completion: pool names come from directory listings, so completing one among hundreds of
// pools parses no definition.
public sealed partial class StorageHost
{
    /// <summary>
    /// Pool names, sorted as pool-list sorts them. A running pool has a runtime status file and a persistent one a
    /// definition, so <paramref name="active"/> and <paramref name="persistent"/> (null: either) are answered without
    /// reading either file: a damaged file still gives its name, and the command run with it says what is wrong.
    /// </summary>
    public IReadOnlyList<string> PoolNames(bool? active = null, bool? persistent = null)
    {
        var running = new HashSet<string>(_status.Names(), StringComparer.Ordinal);
        var defined = new HashSet<string>(_configs.Names(), StringComparer.Ordinal);
        var names = new HashSet<string>(running, StringComparer.Ordinal);
        names.UnionWith(defined);
        return names
            .Where(n => active is null || running.Contains(n) == active)
            .Where(n => persistent is null || defined.Contains(n) == persistent)
            .OrderBy(n => n, StringComparer.OrdinalIgnoreCase)
            .ToList();
    }

    /// <summary>The volumes of every running pool, pool by pool in name order; a pool that cannot list its volumes is left out.</summary>
    public IReadOnlyList<VolumeHandle> VolumesOfRunningPools()
    {
        var volumes = new List<VolumeHandle>();
        foreach (var record in LoadAllRecords().Where(r => r.Active).OrderBy(r => r.Name, StringComparer.Ordinal))
        {
            if (Backends.Find(record.Live!.Type) is not IVolumeBackend) continue;
            try
            {
                foreach (var volume in ListVolumes(record.Name))
                    volumes.Add(new VolumeHandle(record.Name, record.Live.Uuid, record.Live.Type, volume));
            }
            catch (StorageException) { }
        }
        return volumes;
    }

    /// <summary>Names of the defined guests (of this connection's guest directory).</summary>
    public IReadOnlyList<string> GuestNames() => Guests.Names();
}
