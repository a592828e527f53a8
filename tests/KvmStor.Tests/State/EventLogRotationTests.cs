using KvmStor.Engine;
using KvmStor.Model;
using KvmStor.State;
using Xunit;

namespace KvmStor.Tests.State;

public class EventLogRotationTests
{
    private static PoolEvent Event(int i) => new($"pool{i}", Guid.Empty, PoolLifecycleEvent.Started, DateTimeOffset.UnixEpoch);

    [Fact]
    public void Lines_written_just_before_a_rotation_still_reach_a_listener_that_had_not_read_them()
    {
        using var dir = new TempStateDirectory();
        // Each line is about 70 bytes: the log is moved away once, in the middle of the twelve events below.
        var log = new EventLog(dir.Paths, rotateAtBytes: 500);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var listener = log.Follow(cancel.Token, TimeSpan.FromMilliseconds(1)).GetEnumerator();

        for (int i = 0; i < 12; i++) log.Append(Event(i));
        Assert.True(File.Exists(Path.Combine(dir.Paths.StateDirectory, "events.log.old")), "the log did not rotate");

        var received = new List<string>();
        while (received.Count < 12 && listener.MoveNext()) received.Add(listener.Current.PoolName);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"pool{i}"), received);
    }

    [Fact]
    public void A_listener_started_before_the_first_event_sees_it()
    {
        using var dir = new TempStateDirectory();
        var log = new EventLog(dir.Paths);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var listener = log.Follow(cancel.Token, TimeSpan.FromMilliseconds(1)).GetEnumerator();
        log.Append(Event(7));
        Assert.True(listener.MoveNext());
        Assert.Equal("pool7", listener.Current.PoolName);
    }
}
