namespace KvmStor.Backends.IscsiDirect;

/// <summary>
/// A LUN reached through several logged-in sessions at once, so a transfer keeps several READ/WRITE commands in flight
/// (one per session) instead of waiting out each round trip. Lane 0 runs on the session the caller already opened
/// (and keeps owning); the others log in here and log out on dispose.
/// </summary>
internal sealed class IscsiLunLanes : IDisposable
{
    /// <summary>Sessions per large transfer: enough to hide the round trips on a fast link without crowding the target.</summary>
    public const int DefaultCount = 4;

    /// <summary>Below this many bytes a transfer uses one session: more logins would cost more than they save.</summary>
    public const ulong ParallelFromBytes = 16 << 20;

    private readonly List<IscsiLane> _lanes = [];
    private readonly List<IscsiSession> _ownedSessions = [];

    public IscsiLunIo Primary => _lanes[0].Io;
    public int Count => _lanes.Count;

    private IscsiLunLanes() { }

    /// <summary>
    /// <paramref name="count"/> lanes over <paramref name="primary"/>'s LUN; the extra sessions come from
    /// <paramref name="openSession"/> (each a fresh login, bounded like every other).
    /// </summary>
    public static IscsiLunLanes Open(IscsiLunIo primary, Func<IscsiSession> openSession, int count)
    {
        var lanes = new IscsiLunLanes();
        try
        {
            lanes._lanes.Add(new IscsiLane(primary));
            for (int i = 1; i < count; i++)
            {
                var session = openSession();
                lanes._ownedSessions.Add(session);
                lanes._lanes.Add(new IscsiLane(new IscsiLunIo(session, primary.Lun, primary.Capacity)));
            }
            return lanes;
        }
        catch
        {
            lanes.Dispose();
            throw;
        }
    }

    /// <summary>Queues <paramref name="work"/> on lane <paramref name="index"/> (modulo the lane count).</summary>
    public Task Post(int index, Action<IscsiLunIo> work) => _lanes[index % _lanes.Count].Post(work);

    /// <summary>Runs <paramref name="call"/> on the caller's thread with the primary session to itself.</summary>
    public T OnPrimary<T>(Func<T> call)
    {
        lock (_lanes[0].Gate) return call();
    }

    /// <summary>
    /// After a command ran out of time the target is taken as unresponsive: no session logs out (each logout would only
    /// wait out the bound again), they are just dropped.
    /// </summary>
    public void GiveUpOnTarget()
    {
        foreach (var lane in _lanes) lane.Io.Session.Abandon();
    }

    public void Dispose()
    {
        foreach (var lane in _lanes) lane.Dispose();
        foreach (var session in _ownedSessions) session.Dispose();
    }
}
