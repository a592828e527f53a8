using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace KvmStor.IntegrationTests;

/// <summary>
/// A netfs NFS pool whose server does not answer: a TCP listener on 127.0.0.1 whose accept queue is full drops
/// every further SYN, as a hung or firewalled server does. pool-start must fail within KVMSTOR_NETWORK_TIMEOUT
/// (libvirt's pool-start waits on mount here for minutes).
/// </summary>
public sealed class NfsDeadServerTests
{
    [Fact]
    public void StartingAPoolOnAServerThatDoesNotAnswerFailsWithinTheBound()
    {
        using var kvmstor = new KvmstorProcess();
        using var blackhole = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        blackhole.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        blackhole.Listen(0);
        int port = ((IPEndPoint)blackhole.LocalEndPoint!).Port;
        var fillers = FillAcceptQueue(port);
        try
        {
            string target = Path.Combine(kvmstor.Root, "nfs");
            string xml = Path.Combine(kvmstor.Root, "pool.xml");
            File.WriteAllText(xml, $"""
                <pool type='netfs'>
                  <name>deadnfs</name>
                  <source><host name='127.0.0.1' port='{port}'/><dir path='/export'/><format type='nfs'/></source>
                  <target><path>{target}</path></target>
                </pool>
                """);
            Assert.Equal(0, kvmstor.Run("pool-define", xml).ExitCode);
            Assert.Equal(0, kvmstor.Run("pool-build", "deadnfs").ExitCode);

            var watch = Stopwatch.StartNew();
            var (code, _, stderr) = kvmstor.RunWith(new() { ["KVMSTOR_NETWORK_TIMEOUT"] = "1.5" }, "pool-start", "deadnfs");
            watch.Stop();
            Assert.Equal(1, code);
            Assert.Contains($"error: Timed out during operation: connect to 127.0.0.1:{port}: no answer within 1.5 s (KVMSTOR_NETWORK_TIMEOUT)", stderr);
            Assert.InRange(watch.Elapsed.TotalSeconds, 1.4, 8);
            Assert.Contains("inactive", kvmstor.Run("pool-info", "deadnfs").Stdout);
        }
        finally
        {
            foreach (var s in fillers) s.Dispose();
        }
    }

    /// <summary>Connections that fill the listener's accept queue (never accepted); after them, SYNs go unanswered.</summary>
    private static List<Socket> FillAcceptQueue(int port)
    {
        var sockets = new List<Socket>();
        for (int i = 0; i < 8; i++)
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            sockets.Add(s);
            var pending = s.ConnectAsync(IPAddress.Loopback, port);
            if (!pending.Wait(TimeSpan.FromMilliseconds(300))) break; // the queue is full: this one hangs too
        }
        return sockets;
    }
}
