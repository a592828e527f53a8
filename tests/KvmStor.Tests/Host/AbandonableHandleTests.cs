using System.Runtime.CompilerServices;
using KvmStor.Host;
using Xunit;

namespace KvmStor.Tests.Host;

/// <summary>
/// A native handle that a library may still be using (a call on it timed out, its session was lost) must never be
/// released: not by Dispose, not by the finalizer, not when the call inside it finally returns.
/// </summary>
public class AbandonableHandleTests
{
    /// <summary>Counts its releases instead of calling a library.</summary>
    private sealed class CountingHandle : AbandonableHandle
    {
        private readonly StrongBox<int> _releases;

        public CountingHandle(StrongBox<int> releases, bool ownsHandle = true) : base(ownsHandle)
        {
            _releases = releases;
            SetHandle(0x1000);
        }

        protected override bool ReleaseHandle()
        {
            Interlocked.Increment(ref _releases.Value);
            return true;
        }
    }

    [Fact]
    public void A_disposed_handle_is_released_once()
    {
        var releases = new StrongBox<int>();
        var handle = new CountingHandle(releases);
        handle.Dispose();
        handle.Dispose();
        Assert.Equal(1, releases.Value);
        Assert.False(handle.IsAbandoned);
    }

    [Fact]
    public void An_abandoned_handle_is_never_released_by_dispose()
    {
        var releases = new StrongBox<int>();
        var handle = new CountingHandle(releases);
        handle.Abandon();
        handle.Dispose();
        Assert.Equal(0, releases.Value);
        Assert.True(handle.IsAbandoned);
        Assert.True(handle.IsClosed);
    }

    [Fact]
    public void A_handle_abandoned_while_a_call_is_inside_it_is_not_released_when_that_call_returns()
    {
        var releases = new StrongBox<int>();
        var handle = new CountingHandle(releases);
        bool added = false;
        handle.DangerousAddRef(ref added);   // what a P/Invoke taking the handle holds for the length of the call
        Assert.True(added);
        handle.Abandon();                    // the caller gave up waiting
        handle.Dispose();
        handle.DangerousRelease();           // the call came back at last
        Assert.Equal(0, releases.Value);
    }

    [Fact]
    public void A_later_call_on_an_abandoned_handle_fails_before_reaching_the_library()
    {
        var handle = new CountingHandle(new StrongBox<int>());
        handle.Abandon();
        bool added = false;
        Assert.Throws<ObjectDisposedException>(() => handle.DangerousAddRef(ref added));
        Assert.False(added);
    }

    [Fact]
    public void The_finalizer_releases_a_dropped_handle_but_never_an_abandoned_or_unowned_one()
    {
        var dropped = new StrongBox<int>();
        var abandoned = new StrongBox<int>();
        var unowned = new StrongBox<int>();
        Drop(dropped, abandon: false, ownsHandle: true);
        Drop(abandoned, abandon: true, ownsHandle: true);
        Drop(unowned, abandon: false, ownsHandle: false);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.Equal(1, dropped.Value);   // the finalizer does run: the two zeros below are not for lack of a collection
        Assert.Equal(0, abandoned.Value);
        Assert.Equal(0, unowned.Value);
    }

    [Fact]
    public void A_handle_that_does_not_own_its_pointer_is_never_released_by_dispose()
    {
        var releases = new StrongBox<int>();
        new CountingHandle(releases, ownsHandle: false).Dispose();
        Assert.Equal(0, releases.Value);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Drop(StrongBox<int> releases, bool abandon, bool ownsHandle)
    {
        var handle = new CountingHandle(releases, ownsHandle);
        if (abandon) handle.Abandon();
    }
}
