using KvmStor.Host;
using Xunit;

namespace KvmStor.Tests.Host;

public class NetworkTimeoutTests
{
    [Fact]
    public void ReturnsTheResultOfAQuickCall() =>
        Assert.Equal(42, NetworkTimeout.Run("quick", () => 42, TimeSpan.FromSeconds(5)));

    [Fact]
    public void AHangingCallFailsWithinTheBound()
    {
        using var never = new ManualResetEventSlim();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var e = Assert.Throws<StorageException>(() =>
            NetworkTimeout.Run("Ceph monitor 127.0.0.1:6789", () => never.Wait(TimeSpan.FromSeconds(30)), TimeSpan.FromMilliseconds(200)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        Assert.Equal(ErrorCode.OperationTimeout, e.Code);
        Assert.Equal("Timed out during operation: Ceph monitor 127.0.0.1:6789: no answer within 0.2 s (KVMSTOR_NETWORK_TIMEOUT)", e.Display);
        never.Set();
    }

    [Fact]
    public void TheCallersExceptionComesThroughUnchanged()
    {
        var e = Assert.Throws<StorageException>(() => NetworkTimeout.Run("login",
            () => throw new StorageException(ErrorCode.OperationFailed, "CHAP refused"), TimeSpan.FromSeconds(5)));
        Assert.Equal("operation failed: CHAP refused", e.Display);
    }
}
