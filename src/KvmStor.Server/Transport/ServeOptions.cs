namespace KvmStor.Server.Transport;

/// <summary>What `kvmstor serve` was asked to do.</summary>
/// <param name="SocketPath">the read-write socket; the read-only one is this path + "-ro"</param>
/// <param name="GroupId">a group whose members may connect too (socket mode 0660 instead of 0600); null: the owner only</param>
public sealed record ServeOptions(string SocketPath, uint? GroupId = null)
{
    public string ReadOnlySocketPath => SocketPath + "-ro";

    /// <summary>Every read-write socket to bind, each with its "-ro" twin (--libvirt-sockets binds two, --libvirtd-sockets one).</summary>
    public IReadOnlyList<string> SocketPaths { get; init; } = [SocketPath];

    /// <summary>Sockets systemd passed: used instead of binding <see cref="SocketPaths"/>, left as systemd made them.</summary>
    public IReadOnlyList<InheritedListener> Inherited { get; init; } = [];

    /// <summary>Exit after this long with no client connected (no client means no running call); null: never.</summary>
    public TimeSpan? IdleTimeout { get; init; }

    /// <summary>Calls one client may have running at once (libvirtd's max_client_requests).</summary>
    public int MaxCallsPerClient { get; init; } = DefaultMaxCallsPerClient;
    public const int DefaultMaxCallsPerClient = 5;

    /// <summary>How many clients, calls, queued bytes and how much time the sockets grant (see <see cref="ServeLimits"/>).</summary>
    public ServeLimits Limits { get; init; } = new();

    /// <summary>Idle time after which a client that asked for keepalive is pinged; unanswered pings before it is dropped.</summary>
    public TimeSpan KeepaliveInterval { get; init; } = TimeSpan.FromSeconds(5);
    public int KeepaliveCount { get; init; } = 5;

    /// <summary>Where libvirt's modular storage and secret daemons listen (--libvirt-sockets).</summary>
    public static readonly IReadOnlyList<string> LibvirtSocketPaths = ["/run/libvirt/virtstoraged-sock", "/run/libvirt/virtsecretd-sock"];

    /// <summary>
    /// Where the monolithic libvirtd listens (--libvirtd-sockets): root's qemu:///system and qemu:///session clients
    /// connect here when no virtqemud socket exists, and libvirt-dbus (Cockpit's way to libvirt) can go nowhere else.
    /// </summary>
    public static readonly IReadOnlyList<string> LibvirtdSocketPaths = ["/run/libvirt/libvirt-sock"];
}
