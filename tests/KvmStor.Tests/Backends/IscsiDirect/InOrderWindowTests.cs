using KvmStor.Backends.IscsiDirect;

namespace KvmStor.Tests.Backends.IscsiDirect;

public sealed class InOrderWindowTests
{
    [Fact]
    public void Commands_come_back_in_queued_order_whatever_order_they_finish_in()
    {
        var first = new TaskCompletionSource();
        var second = new TaskCompletionSource();
        var window = new InOrderWindow<string>(2);
        window.Add(first.Task, "first");
        window.Add(second.Task, "second");
        Assert.True(window.Full);
        second.SetResult();
        var oldest = Task.Run(window.TakeOldest);
        Assert.False(oldest.Wait(100)); // the second one finished, but the first is still out
        first.SetResult();
        Assert.Equal("first", oldest.Result);
        Assert.False(window.Full);
        Assert.Equal("second", window.TakeOldest());
        Assert.False(window.Any);
    }

    [Fact]
    public void The_oldest_failure_is_rethrown_as_itself_and_abandon_waits_for_the_rest()
    {
        var later = new TaskCompletionSource();
        var window = new InOrderWindow<int>(4);
        window.Add(Task.FromException(new StorageException(ErrorCode.OperationTimeout, "first")), 1);
        window.Add(later.Task, 2);
        var e = Assert.Throws<StorageException>(() => window.TakeOldest());
        Assert.Equal(ErrorCode.OperationTimeout, e.Code);

        var abandon = Task.Run(window.Abandon);
        Assert.False(abandon.Wait(100)); // a command still out keeps its buffer and session busy
        later.SetException(new InvalidOperationException("second"));
        Assert.True(abandon.Wait(5000));
        Assert.False(window.Any);
    }
}
