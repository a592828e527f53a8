using KvmStor.Backends;
using KvmStor.State;

namespace KvmStor.Engine;

/// <summary>
/// The storage driver of one connection, as a front-end (the CLI, the RPC server) reaches it: one service per job.
/// Each kvmstor process opens one; state lives on disk (config + status stores) and is shared between processes under
/// file locks (see <see cref="EngineLocks"/>), so there is no daemon.
/// </summary>
public sealed class StorageHost : IDisposable
{
    private readonly PoolRecords _records;

    public StatePaths Paths { get; }

    /// <summary>The system connection (root's state under /var/lib, /run), not a user's session.</summary>
    public bool IsSystem => Paths.IsSystem;
    public BackendRegistry Backends { get; }

    /// <summary>Pool life cycle, autostart, events: <c>host.Pools.Start(name, flags)</c>.</summary>
    public PoolService Pools { get; }

    /// <summary>Volume operations on a found volume: <c>host.Volumes.Upload(volume, …)</c>.</summary>
    public VolumeService Volumes { get; }

    /// <summary>Guest definitions, their disks, and who uses a volume.</summary>
    public GuestService Guests { get; }

    /// <summary>Secret definitions and values (one store per connection); backends read values through it.</summary>
    public SecretService Secrets { get; }

    /// <summary>virsh's and libvirt's rules for finding pools, volumes and guests.</summary>
    public Lookups Lookup { get; }

    public StorageHost(StatePaths paths, BackendRegistry backends)
    {
        Paths = paths;
        Backends = backends;
        var locks = new EngineLocks(paths);
        _records = new PoolRecords(paths, backends);
        Secrets = new SecretService(new SecretStore(paths), locks.Secrets, new SecretEventLog(paths));
        Lookup = new Lookups(_records, locks, () => Guests!); // set on the next line, before any lookup runs
        Guests = new GuestService(_records, locks, Secrets, Lookup);
        Pools = new PoolService(_records, locks, Guests);
        Volumes = new VolumeService(_records, locks, Guests);
        backends.Secrets.Target = Secrets;
        backends.VolumeFormats.Target = _records.VolumeFormats;
    }

    /// <summary>Opens the driver for a connection URI (null: KVMSTOR_DEFAULT_URI, then system for root, session otherwise).</summary>
    /// <param name="ending">Fires when the front-end's process is ending: every external program still running is killed with its process group.</param>
    public static StorageHost Open(string? uri = null, CancellationToken ending = default) =>
        new(StatePaths.ForUri(uri), BackendRegistry.CreateDefault(new Host.ProcessCommandRunner(ending)));

    /// <summary>
    /// Unhooks this connection's secrets and recorded formats from the registry's bridges (unless a later host took
    /// them over), so a backend of a registry that outlives the host cannot read a closed connection's secrets. Nothing
    /// else is held between calls: every lock is taken and released by the operation that needs it, and the stores open
    /// their files per call.
    /// </summary>
    public void Dispose()
    {
        if (ReferenceEquals(Backends.Secrets.Target, Secrets)) Backends.Secrets.Target = null;
        if (ReferenceEquals(Backends.VolumeFormats.Target, _records.VolumeFormats)) Backends.VolumeFormats.Target = null;
    }
}
