using KvmStor.Backends;

namespace KvmStor.Tests.Backends;

/// <summary>
/// The connection cache network backends keep between calls (rbd: one librados connection per pool source): reuse,
/// keying, and every way a connection is dropped — and that an abandoned one is never closed.
/// </summary>
public sealed class KeptConnectionsTests
{
    private sealed class FakeConnection(int number) : IKeptConnection
    {
        public int Number { get; } = number;
        public KeptConnectionState State { get; set; } = KeptConnectionState.Healthy;
        public int Closes { get; private set; }
        public void Close() => Closes++;
    }

    private sealed class ManualTime : TimeProvider
    {
        private long _ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => Interlocked.Read(ref _ticks);
        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }

    private readonly ManualTime _time = new();
    private readonly KeptConnections<FakeConnection> _kept;
    private readonly List<FakeConnection> _made = [];

    public KeptConnectionsTests() => _kept = new KeptConnections<FakeConnection>(TimeSpan.FromMinutes(5), _time);

    private static readonly byte[] KeyA = [1], KeyB = [2];

    private FakeConnection Connect()
    {
        lock (_made)
        {
            var made = new FakeConnection(_made.Count + 1);
            _made.Add(made);
            return made;
        }
    }

    private FakeConnection Use(string key, byte[]? fingerprint = null)
    {
        using var lease = _kept.Acquire(key, fingerprint ?? KeyA, Connect);
        return lease.Connection;
    }

    [Fact]
    public void Calls_on_one_source_share_one_connection()
    {
        var first = Use("mon1\nrbd\n");
        for (int i = 0; i < 50; i++) Assert.Same(first, Use("mon1\nrbd\n"));
        Assert.Single(_made);
        Assert.Equal(0, first.Closes);
        Assert.Equal(["mon1\nrbd\n"], _kept.Keys);
    }

    [Fact]
    public void Each_source_has_its_own_connection()
    {
        var a = Use("mon1\nrbd\n");
        var b = Use("mon1\nother\n");
        var c = Use("mon2\nrbd\n");
        Assert.Equal(3, new[] { a, b, c }.Distinct().Count());
        Assert.Same(b, Use("mon1\nother\n"));
        Assert.Equal(3, _made.Count);
    }

    [Fact]
    public void Another_secret_value_gets_a_new_connection_and_the_old_one_is_closed()
    {
        var old = Use("s", KeyA);
        var renewed = Use("s", KeyB);
        Assert.NotSame(old, renewed);
        Assert.Equal(1, old.Closes);
        Assert.Equal(0, renewed.Closes);
        Assert.Same(renewed, Use("s", KeyB));
        Assert.Equal(2, _made.Count);
    }

    [Fact]
    public void A_retired_connection_still_in_use_is_closed_when_its_last_call_ends()
    {
        var lease = _kept.Acquire("s", KeyA, Connect);
        var inUse = lease.Connection;
        _kept.Retire("s");
        Assert.Equal(0, inUse.Closes);                 // a call is still using it
        var next = Use("s");
        Assert.NotSame(inUse, next);                    // a new call does not get the retired one
        lease.Dispose();
        Assert.Equal(1, inUse.Closes);
        lease.Dispose();                                // disposing twice closes nothing twice
        Assert.Equal(1, inUse.Closes);
        Assert.Equal(0, next.Closes);
    }

    [Fact]
    public void Forgetting_a_source_closes_its_unused_connection_only()
    {
        var a = Use("a");
        var b = Use("b");
        _kept.Retire("a");
        Assert.Equal(1, a.Closes);
        Assert.Equal(0, b.Closes);
        Assert.Equal(["b"], _kept.Keys);
        _kept.Retire("never-made");
        Assert.NotSame(a, Use("a"));
    }

    [Fact]
    public void Retiring_unless_the_same_fingerprint_keeps_a_current_connection()
    {
        var kept = Use("s", KeyA);
        _kept.Retire("s", unlessFingerprint: KeyA);
        Assert.Equal(0, kept.Closes);
        Assert.Same(kept, Use("s", KeyA));
        _kept.Retire("s", unlessFingerprint: KeyB);
        Assert.Equal(1, kept.Closes);
    }

    [Fact]
    public void A_connection_a_call_found_broken_is_replaced_and_closed()
    {
        FakeConnection broken;
        using (var lease = _kept.Acquire("s", KeyA, Connect))
        {
            broken = lease.Connection;
            broken.State = KeptConnectionState.Broken;  // what a call that failed with a connection error sets
        }
        Assert.Equal(1, broken.Closes);
        Assert.Empty(_kept.Keys);
        var next = Use("s");
        Assert.NotSame(broken, next);
    }

    [Fact]
    public void A_connection_broken_while_another_call_uses_it_is_not_handed_out_and_closed_after_that_call()
    {
        var slow = _kept.Acquire("s", KeyA, Connect);
        var shared = slow.Connection;
        using (var failing = _kept.Acquire("s", KeyA, Connect))
        {
            Assert.Same(shared, failing.Connection);
            shared.State = KeptConnectionState.Broken;
        }
        Assert.Equal(0, shared.Closes);
        Assert.NotSame(shared, Use("s"));
        slow.Dispose();
        Assert.Equal(1, shared.Closes);
    }

    [Fact]
    public void An_abandoned_connection_is_replaced_and_never_closed()
    {
        FakeConnection abandoned;
        using (var lease = _kept.Acquire("s", KeyA, Connect))
        {
            abandoned = lease.Connection;
            abandoned.State = KeptConnectionState.Abandoned;  // a call on it timed out
        }
        var next = Use("s");
        Assert.NotSame(abandoned, next);
        _kept.Retire("s");
        _time.Advance(TimeSpan.FromHours(1));
        Use("other");
        Assert.Equal(0, abandoned.Closes);
    }

    [Fact]
    public void A_failed_connect_is_not_kept_and_the_next_call_tries_again()
    {
        var e = Assert.Throws<StorageException>(() =>
            _kept.Acquire("s", KeyA, () => throw StorageException.System("failed to connect to the RADOS monitor on: m,", 111)));
        Assert.Contains("Connection refused", e.Message);
        Assert.Empty(_kept.Keys);
        Assert.Equal(1, Use("s").Number);
    }

    [Fact]
    public void Concurrent_first_calls_on_one_source_make_one_connection_and_share_its_failure()
    {
        using var release = new ManualResetEventSlim();
        int attempts = 0;
        FakeConnection SlowConnect()
        {
            Interlocked.Increment(ref attempts);
            release.Wait();
            return Connect();
        }
        var callers = Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            using var lease = _kept.Acquire("s", KeyA, SlowConnect);
            return lease.Connection;
        })).ToArray();
        // The other key is not held up by the connect in progress.
        Assert.True(Task.Run(() => Use("other")).Wait(TimeSpan.FromSeconds(10)));
        Thread.Sleep(100);
        release.Set();
        Task.WaitAll(callers, TimeSpan.FromSeconds(10));
        Assert.Single(callers.Select(c => c.Result).Distinct());
        Assert.Equal(1, attempts);

        // One failing attempt fails every call that waited for it, and is then forgotten.
        using var fail = new ManualResetEventSlim();
        var failing = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
            _kept.Acquire("t", KeyA, () => { fail.Wait(); throw StorageException.System("failed", 110); }))).ToArray();
        Thread.Sleep(100);
        fail.Set();
        foreach (var call in failing)
            Assert.IsType<StorageException>(Assert.Throws<AggregateException>(() => call.Wait(TimeSpan.FromSeconds(10))).InnerException);
        Assert.DoesNotContain("t", _kept.Keys);
    }

    [Fact]
    public void An_unused_connection_is_closed_after_the_idle_limit()
    {
        var idle = Use("idle");
        _time.Advance(TimeSpan.FromMinutes(4));
        var busy = _kept.Acquire("busy", KeyA, Connect);
        Assert.Same(idle, Use("idle"));                   // used again within the limit: kept, and its clock restarts
        _time.Advance(TimeSpan.FromMinutes(6));
        Use("other");
        Assert.Equal(1, idle.Closes);
        Assert.Equal(0, busy.Connection.Closes);          // in use: never closed for idleness
        Assert.DoesNotContain("idle", _kept.Keys);
        busy.Dispose();
    }
}
