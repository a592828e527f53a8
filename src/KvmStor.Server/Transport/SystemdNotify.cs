using System.Net.Sockets;
using System.Text;

namespace KvmStor.Server.Transport;

/// <summary>sd_notify: tells a Type=notify service manager "READY=1" once the sockets listen (no-op without NOTIFY_SOCKET).</summary>
public static class SystemdNotify
{
    public static void Send(string state)
    {
        string? target = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");
        if (string.IsNullOrEmpty(target)) return;
        // "@name" is an abstract socket: a leading NUL on the wire.
        if (target[0] == '@') target = "\0" + target[1..];
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.SendTo(Encoding.UTF8.GetBytes(state), new UnixDomainSocketEndPoint(target));
        }
        catch (SocketException)
        {
            // A manager that went away cannot be told; serving goes on.
        }
    }
}
