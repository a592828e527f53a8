using System.Net;
using System.Net.Sockets;
using KvmStor.Backends.Fs;
using KvmStor.Model;

namespace KvmStor.Tests.Backends;

/// <summary>
/// The bounded connect before a netfs mount: an accepting or refusing server is an answer (the mount that follows
/// reports a refusal itself); only silence until the bound is a timeout. The silent case is tested for real in
/// NfsDeadServerTests (a blackholed address in a network namespace).
/// </summary>
public sealed class ServerReachabilityTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);

    [Fact]
    public void AListeningServerAnswers()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        ServerReachability.EnsureAnswers("127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port, Bound);
    }

    [Fact]
    public void ARefusingPortAnswers()
    {
        int port = ClosedPort();
        ServerReachability.EnsureAnswers("127.0.0.1", port, Bound);
        ServerReachability.EnsureAnswers("localhost", port, Bound); // by name: looked up, then each address tried
    }

    [Fact]
    public void AnUnknownHostIsLeftToTheMount()
    {
        ServerReachability.EnsureAnswers("no-such-host.invalid", 2049, Bound);
    }

    [Fact]
    public void ABoundThatHasPassedIsATimeoutWithTheServerNamed()
    {
        var e = Assert.Throws<StorageException>(() => ServerReachability.EnsureAnswers("127.0.0.1", ClosedPort(), TimeSpan.Zero));
        Assert.Equal(ErrorCode.OperationTimeout, e.Code);
        Assert.StartsWith("Timed out during operation: connect to 127.0.0.1:", e.Display);
    }

    /// <summary>A loopback port nothing listens on: bound and released, so the kernel refuses connections to it.</summary>
    private static int ClosedPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
