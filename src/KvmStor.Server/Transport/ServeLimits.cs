namespace KvmStor.Server.Transport;

/// <summary>
/// What clients may hold of the server, so that a local user on the world-connectable read-only socket cannot exhaust
/// it (descriptors, threads, memory) nor make it wait for others. The read-only sockets count apart from the read-write
/// ones, so filling them never locks root out; on them, each peer user has a share of its own. libvirtd's knobs for the
/// same ends are max_clients (5000, all sockets together), max_anonymous_clients (20), max_workers (20) and
/// max_client_requests (5); these are kvmstor's own, sized for a storage server whose read-only socket is open to all.
/// </summary>
public sealed record ServeLimits
{
    /// <summary>Clients of the read-write sockets together (root, the server's user, --group members).</summary>
    public int MaxClients { get; init; } = 512;

    /// <summary>Clients of the read-only sockets together, and of one peer user (uid) among them.</summary>
    public int MaxReadOnlyClients { get; init; } = 64;
    public int MaxReadOnlyClientsPerUser { get; init; } = 16;

    /// <summary>
    /// Calls of read-only clients running at once, all together and per peer user (each connection is held to
    /// <see cref="ServeOptions.MaxCallsPerClient"/> as well): bounds the threads they occupy, and one user's slow calls
    /// leave the others' share free.
    /// </summary>
    public int MaxReadOnlyCalls { get; init; } = 8;
    public int MaxReadOnlyCallsPerUser { get; init; } = 4;

    /// <summary>
    /// The largest packet a read-only connection may send: nothing it may call takes more than a name, a path or a
    /// small XML document, so a bigger length word closes the connection before anything is allocated.
    /// </summary>
    public int MaxReadOnlyPacket { get; init; } = 256 * 1024;

    /// <summary>A connection that has not opened the connection (CONNECT_OPEN) by then is closed.</summary>
    public TimeSpan OpenTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Replies and events waiting to be written to one client: beyond this, no further packet of it is read.</summary>
    public int MaxQueuedReplyBytes { get; init; } = 1024 * 1024;

    /// <summary>Events waiting to be written to one client: one more beyond this, and the client is disconnected.</summary>
    public int MaxQueuedEventBytes { get; init; } = 1024 * 1024;

    /// <summary>Download data waiting to be written to one client: beyond this, the transfer waits for the client.</summary>
    public int StreamWindowBytes { get; init; } = 2 * 1024 * 1024;
}
