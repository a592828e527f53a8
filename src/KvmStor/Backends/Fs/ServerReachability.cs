using System.Net;
using System.Net.Sockets;
using KvmStor.Host;

namespace KvmStor.Backends.Fs;

/// <summary>
/// A bounded TCP connect to a file server before mounting from it. mount(8) and the kernel's NFS client can wait
/// for minutes on a server that does not answer (libvirt's pool-start hangs there); this turns that into a clear
/// error within KVMSTOR_NETWORK_TIMEOUT. A refused connection is not an error here: mount reports it in its words.
/// </summary>
/// <remarks>
/// The connect is a non-blocking socket waited on with poll(2) on the calling thread, not an async connect: an async
/// connect's answer and its cancellation timer both need a thread-pool thread, so on a busy host a refusal that came
/// at once could still be reported as a timeout (a CI run saw that with a 0.4 s bound).
/// </remarks>
public static class ServerReachability
{
    /// <summary>The port each netfs format's client talks to first.</summary>
    public static int DefaultPort(string? format) => format switch
    {
        "glusterfs" => 24007,
        "cifs" => 445,
        _ => 2049, // nfs, and "auto" (host:dir is NFS to mount(8))
    };

    /// <summary>Throws OperationTimeout when neither an answer nor a refusal comes within the bound.</summary>
    public static void EnsureAnswers(string host, int port, TimeSpan? limit = null)
    {
        TimeSpan bound = limit ?? NetworkTimeout.Limit;
        long deadline = Environment.TickCount64 + (long)bound.TotalMilliseconds;
        IPAddress[] addresses;
        if (IPAddress.TryParse(host, out var literal)) addresses = [literal];
        else
        {
            // A name lookup cannot be cancelled: it waits on its own bounded thread.
            try { addresses = NetworkTimeout.Run($"connect to {host}:{port}", () => Dns.GetHostAddresses(host), bound); }
            catch (SocketException) { return; } // unknown host: the mount that follows says so
        }
        foreach (var address in addresses)
        {
            long remaining = deadline - Environment.TickCount64;
            if (remaining <= 0) break;
            if (Answers(new IPEndPoint(address, port), remaining)) return;
        }
        throw NetworkTimeout.TimedOut($"connect to {host}:{port}", bound);
    }

    /// <summary>Whether the address accepted or refused (or is unreachable) within the time left.</summary>
    private static bool Answers(IPEndPoint endpoint, long milliseconds)
    {
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { Blocking = false };
        try
        {
            socket.Connect(endpoint);
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
        {
            // Writable once connected; readable or in error once refused.
            int microseconds = (int)Math.Min(milliseconds * 1000, int.MaxValue);
            return socket.Poll(microseconds, SelectMode.SelectWrite) || socket.Poll(0, SelectMode.SelectError);
        }
        catch (SocketException) { return true; } // refused or unreachable at once
    }
}
