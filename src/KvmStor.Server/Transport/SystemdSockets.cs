using System.Net.Sockets;

namespace KvmStor.Server.Transport;

/// <summary>A listening socket handed over by systemd, and whether it is the read-only one.</summary>
public sealed record InheritedListener(Socket Socket, string Name, bool ReadOnly);

/// <summary>
/// systemd's socket activation: LISTEN_PID names this process, LISTEN_FDS counts the listening sockets passed from
/// fd 3 on, LISTEN_FDNAMES names them. A socket is the read-only twin when its name or its bound path ends in "-ro"
/// (or its name is "ro"), so one service unit with two ListenStream= lines works as well as two socket units.
/// </summary>
public static class SystemdSockets
{
    private const int FirstFd = 3;

    /// <summary>The sockets systemd passed, or none when this process was not socket-activated. Clears the variables
    /// so child processes (mkfs, iscsiadm …) do not take the sockets for theirs.</summary>
    public static IReadOnlyList<InheritedListener> Take(Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        string? pid = environment("LISTEN_PID"), count = environment("LISTEN_FDS"), names = environment("LISTEN_FDNAMES");
        foreach (var name in new[] { "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES" })
            Environment.SetEnvironmentVariable(name, null);
        if (!int.TryParse(pid, out int listenPid) || listenPid != Environment.ProcessId) return [];
        if (!int.TryParse(count, out int fds) || fds <= 0 || fds > 64) return [];
        string[] fdNames = names?.Split(':') ?? [];
        var listeners = new List<InheritedListener>();
        for (int i = 0; i < fds; i++)
        {
            var socket = new Socket(new SafeSocketHandle(FirstFd + i, ownsHandle: true));
            if (socket.AddressFamily != AddressFamily.Unix || socket.SocketType != SocketType.Stream)
                throw new StorageException(ErrorCode.OperationFailed, $"socket {FirstFd + i} passed by systemd is not a UNIX stream socket");
            string path = (socket.LocalEndPoint as UnixDomainSocketEndPoint)?.ToString() ?? "";
            string name = i < fdNames.Length ? fdNames[i] : "";
            bool readOnly = name == "ro" || name.EndsWith("-ro", StringComparison.Ordinal) || path.EndsWith("-ro", StringComparison.Ordinal);
            listeners.Add(new InheritedListener(socket, path.Length > 0 ? path : name, readOnly));
        }
        return listeners;
    }
}
