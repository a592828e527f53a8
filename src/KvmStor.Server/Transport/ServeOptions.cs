namespace KvmStor.Server.Transport;

/// <summary>What `kvmstor serve` was asked to do.</summary>
/// <param name="SocketPath">the read-write socket; the read-only one is this path + "-ro"</param>
/// <param name="GroupId">a group whose members may connect too (socket mode 0660 instead of 0600); null: the owner only</param>
public sealed record ServeOptions(string SocketPath, uint? GroupId = null)
{
    public string ReadOnlySocketPath => SocketPath + "-ro";

    /// <summary>Calls one client may have running at once (libvirtd's max_client_requests).</summary>
    public int MaxCallsPerClient { get; init; } = 5;

    /// <summary>Idle time after which a client that asked for keepalive is pinged; unanswered pings before it is dropped.</summary>
    public TimeSpan KeepaliveInterval { get; init; } = TimeSpan.FromSeconds(5);
    public int KeepaliveCount { get; init; } = 5;
}
