namespace KvmStor.Server.Transport;

/// <summary>
/// Who gets in, and the read-only calls' shares: counts the clients of the read-write and the read-only sockets apart
/// (and the read-only ones per peer uid) against <see cref="ServeLimits"/>, and hands each read-only client the gates
/// its calls pass: its user's and the read-only sockets' together. Read-write clients pass no shared gate.
/// </summary>
public sealed class ClientAdmission(ServeLimits limits)
{
    private readonly object _gate = new();
    private readonly Dictionary<uint, UserShare> _users = [];
    private readonly SemaphoreSlim _readOnlyCalls = new(limits.MaxReadOnlyCalls);
    private int _readWrite, _readOnly;

    private sealed class UserShare(int calls)
    {
        public int Clients;
        public readonly SemaphoreSlim Calls = new(calls);
    }

    /// <summary>A client let in: what it must release when it goes, and the gates its calls pass (outermost first).</summary>
    public sealed class Slot(ClientAdmission owner, bool readOnly, uint uid, IReadOnlyList<SemaphoreSlim> callGates)
    {
        private int _released;
        public bool ReadOnly => readOnly;
        public IReadOnlyList<SemaphoreSlim> CallGates => callGates;

        public void Release()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) owner.Leave(readOnly, uid);
        }
    }

    public int ReadWriteClients { get { lock (_gate) return _readWrite; } }
    public int ReadOnlyClients { get { lock (_gate) return _readOnly; } }

    /// <summary>A slot for a new client of that kind and peer uid, or null when its socket (or its user) has no room.</summary>
    public Slot? TryAdmit(bool readOnly, uint uid)
    {
        lock (_gate)
        {
            if (!readOnly)
            {
                if (_readWrite >= limits.MaxClients) return null;
                _readWrite++;
                return new Slot(this, false, uid, []);
            }
            if (_readOnly >= limits.MaxReadOnlyClients) return null;
            if (!_users.TryGetValue(uid, out var user))
                _users[uid] = user = new UserShare(limits.MaxReadOnlyCallsPerUser);
            if (user.Clients >= limits.MaxReadOnlyClientsPerUser) return null;
            user.Clients++;
            _readOnly++;
            return new Slot(this, true, uid, [user.Calls, _readOnlyCalls]);
        }
    }

    private void Leave(bool readOnly, uint uid)
    {
        lock (_gate)
        {
            if (!readOnly)
            {
                _readWrite--;
                return;
            }
            _readOnly--;
            // A user's share lives while it has clients; its last client's calls have ended (the connection waits
            // for them), so nothing waits on the semaphore any more.
            if (_users.TryGetValue(uid, out var user) && --user.Clients == 0)
            {
                _users.Remove(uid);
                user.Calls.Dispose();
            }
        }
    }
}
