using KvmStor.Backends;
using KvmStor.Model;
using KvmStor.State;

namespace KvmStor.Engine;

// The one prologue of the operations that act on an existing volume (delete, wipe, upload, download, resize). The
// order of its checks decides which error a user sees when several apply; tests pin it, so it is written once here.
public sealed partial class VolumeService
{
    /// <summary>What an operation asks of the prologue.</summary>
    /// <param name="ProtectUsers">refuse when a defined guest uses the volume or another process has it open (unless <paramref name="Force"/>)</param>
    /// <param name="Capability">the backend capability checked before the volume lock (libvirt's text when it is missing comes from <see cref="BackendCapabilityTable"/>); null: the operation checks it itself</param>
    /// <param name="Exclusive">exclusive volume lock (changes it) or shared (reads it)</param>
    /// <param name="Reread">read the volume again under its lock (another process may have resized or removed it since the lookup)</param>
    private readonly record struct VolumeOperationRules(
        bool ProtectUsers, bool Force, BackendCapabilities? Capability, bool Exclusive, bool Reread);

    /// <summary>A volume operation past its prologue: the running pool, its backend, the volume, and the locks it holds until disposed.</summary>
    private sealed class VolumeOperation(NameLock poolLock, NameLock volumeLock, PoolDefinition pool, IVolumeBackend backend, VolumeDefinition volume)
        : IDisposable
    {
        public PoolDefinition Pool { get; } = pool;
        public IVolumeBackend Backend { get; } = backend;
        public VolumeDefinition Volume { get; } = volume;

        public void Dispose()
        {
            volumeLock.Dispose();
            poolLock.Dispose();
        }
    }

    /// <summary>
    /// Guest use, open holders, the pool's shared lock, the pool running, the capability, the volume's lock, the re-read:
    /// in that order, releasing what it took when one fails.
    /// </summary>
    private VolumeOperation BeginVolumeOperation(VolumeHandle volume, VolumeOperationRules rules)
    {
        if (rules.ProtectUsers)
        {
            _guests.CheckNotUsed(volume.PoolName, volume.Name, rules.Force);
            CheckNotOpenElsewhere(volume, rules.Force);
        }
        var shared = _locks.PoolShared(volume.PoolName);
        NameLock? volumeLock = null;
        try
        {
            var (pool, backend) = _records.ActivePool(volume.PoolName);
            if (rules.Capability is { } capability) BackendCapabilityTable.Require((IPoolBackend)backend, capability);
            volumeLock = _locks.Volume(pool.Name, volume.Name, rules.Exclusive);
            var current = rules.Reread
                ? backend.FindVolume(pool, volume.Name)
                  ?? throw new StorageException(ErrorCode.NoStorageVolume, $"no storage vol with matching name '{volume.Name}'")
                : volume.Volume;
            return new VolumeOperation(shared, volumeLock, pool, backend, current);
        }
        catch
        {
            volumeLock?.Dispose();
            shared.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Refuses to delete, wipe, overwrite or shrink a volume another process has open (a running guest's qemu, started
    /// by kvmstor's user, by libvirt or by hand), naming the process, unless <paramref name="force"/>. libvirt checks
    /// nothing of the kind.
    /// </summary>
    private static void CheckNotOpenElsewhere(VolumeHandle volume, bool force)
    {
        if (force || volume.Volume.Target.Path is not { } path || !Path.IsPathRooted(path)) return;
        var holders = KvmStor.Host.OpenFileHolders.Find(path);
        if (holders.Count == 0) return;
        string processes = string.Join(", ", holders.Select(h => $"{h.Pid} ({h.Command})"));
        throw new StorageException(ErrorCode.OperationDenied,
            $"storage volume '{volume.Name}' is open in process {processes}; use --force to override");
    }
}
