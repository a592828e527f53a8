using KvmStor.Engine;
using KvmStor.Server.Transport;

namespace KvmStor.Tests.Server;

/// <summary>
/// `kvmstor serve` run in the test process on <paramref name="host"/>, listening once the constructor returns; Dispose
/// stops it and waits for it. The start signal completes asynchronously: completed inline, it would run the test's own
/// code on the server's thread, which then could not stop while the test waited for it.
/// </summary>
internal sealed class InProcessServer : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;

    public InProcessServer(StorageHost host, ServeOptions options)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _running = Task.Run(() => ServerRunner.RunAsync(host, options, _stop.Token, _ => started.TrySetResult()));
        Assert.True(Task.WaitAny([started.Task, _running], Bound) == 0, "the server did not start");
    }

    public void Dispose()
    {
        _stop.Cancel();
        Assert.True(_running.Wait(Bound), "the server did not stop");
        _stop.Dispose();
    }
}
