using KvmStor.Backends;
using KvmStor.Model;
using KvmStor.State;

namespace KvmStor.Engine;

/// <summary>
/// The storage driver: every pool and volume operation the CLI offers, with libvirt's rules and messages.
/// Each kvmstor process opens one; state lives on disk (config + status stores) and is shared between
/// processes under file locks, so there is no daemon.
/// </summary>
public sealed partial class StorageHost : IDisposable
{
    public StatePaths Paths { get; }

    public StorageHost(StatePaths paths, BackendRegistry backends)
    {
        Paths = paths;
        Backends = backends;
    }

    public BackendRegistry Backends { get; }

    /// <summary>Opens the driver for a connection URI (null: KVMSTOR_DEFAULT_URI, then system for root, session otherwise).</summary>
    public static StorageHost Open(string? uri = null) => new(StatePaths.ForUri(uri), BackendRegistry.CreateDefault());

    public void Dispose() { }
}
