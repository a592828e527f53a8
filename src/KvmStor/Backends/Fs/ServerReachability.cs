using System.Net.Sockets;
using KvmStor.Host;

namespace KvmStor.Backends.Fs;

/// <summary>
/// A bounded TCP connect to a file server before mounting from it. mount(8) and the kernel's NFS client can wait
/// for minutes on a server that does not answer (libvirt's pool-start hangs there); this turns that into a clear
/// error within KVMSTOR_NETWORK_TIMEOUT. A refused connection is not an error here: mount reports it in its words.
/// </summary>
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
        // A connect (name lookup included) can be cancelled: no thread waits on past the bound.
        TimeSpan bound = limit ?? NetworkTimeout.Limit;
        using var timer = new CancellationTokenSource(bound);
        using var client = new TcpClient();
        try { client.ConnectAsync(host, port, timer.Token).AsTask().GetAwaiter().GetResult(); }
        catch (OperationCanceledException) { throw NetworkTimeout.TimedOut($"connect to {host}:{port}", bound); }
        catch (SocketException) { } // refused, unreachable, unknown host: the mount that follows says so
    }
}
