using KvmStor.Cli.Commands;
using KvmStor.Cli.Output;
using KvmStor.Engine;

namespace KvmStor.Tests.Cli;

/// <summary>pool-event's loop over a scripted event stream standing in for PoolService.WatchEvents.</summary>
public class PoolEventWatchTests
{
    private static readonly Guid P1 = Guid.NewGuid(), P2 = Guid.NewGuid();
    private static readonly DateTimeOffset Now = DateTimeOffset.UnixEpoch;

    /// <summary>Yields the events, then blocks until cancelled, as the engine's watch does.</summary>
    private static Func<CancellationToken, IEnumerable<PoolEvent>> Stream(params PoolEvent[] events) => token => Produce(events, token);

    private static IEnumerable<PoolEvent> Produce(PoolEvent[] events, CancellationToken token)
    {
        foreach (var e in events) yield return e;
        token.WaitHandle.WaitOne();
        token.ThrowIfCancellationRequested();
    }

    private static (bool Ok, string Out) Watch(Func<CancellationToken, IEnumerable<PoolEvent>> source, string type, bool loop,
        Guid? pool = null, TimeSpan? timeout = null, CancellationToken interrupt = default)
    {
        var stdout = new StringWriter { NewLine = "\n" };
        bool ok = PoolEventCommand.Watch(source, pool, type, loop, timestamp: false, timeout,
            new OutputWriter(stdout, new StringWriter(), quiet: false), interrupt);
        return (ok, stdout.ToString());
    }

    [Fact]
    public void OneShotStopsAfterTheFirstMatchingEvent()
    {
        var (ok, output) = Watch(Stream(
            new PoolEvent("p2", P2, null, Now),
            new PoolEvent("p1", P1, PoolLifecycleEvent.Defined, Now),
            new PoolEvent("p1", P1, PoolLifecycleEvent.Started, Now)), "lifecycle", loop: false);
        Assert.True(ok);
        Assert.Equal("event 'lifecycle' for storage pool p1: Defined\nevents received: 1\n", output);
    }

    [Fact]
    public void LoopUntilTimeoutWithPoolFilter()
    {
        var (ok, output) = Watch(Stream(
            new PoolEvent("p1", P1, null, Now),
            new PoolEvent("p2", P2, null, Now),
            new PoolEvent("p1", P1, PoolLifecycleEvent.Stopped, Now),
            new PoolEvent("p1", P1, null, Now)), "refresh", loop: true, pool: P1, timeout: TimeSpan.FromMilliseconds(200));
        Assert.True(ok);
        Assert.Equal("event 'refresh' for storage pool p1\nevent 'refresh' for storage pool p1\nevent loop timed out\nevents received: 2\n", output);
    }

    [Fact]
    public void NothingReceivedIsAFailure()
    {
        var (ok, output) = Watch(Stream(), "lifecycle", loop: false, timeout: TimeSpan.FromMilliseconds(100));
        Assert.False(ok);
        Assert.Equal("event loop timed out\nevents received: 0\n", output);
    }

    [Fact]
    public void CtrlCInterruptsTheLoop()
    {
        using var interrupt = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var (ok, output) = Watch(Stream(new PoolEvent("p1", P1, PoolLifecycleEvent.Deleted, Now)), "lifecycle", loop: true,
            interrupt: interrupt.Token);
        Assert.True(ok);
        Assert.Equal("event 'lifecycle' for storage pool p1: Deleted\nevent loop interrupted\nevents received: 1\n", output);
    }
}
