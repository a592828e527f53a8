namespace KvmStor.Cli;

/// <summary>
/// Ctrl+C as a cancellation, but only while a command listens for it (pool-event's wait, a volume copy, wipe or
/// transfer). At any other time Ctrl+C keeps its usual meaning and ends the process.
/// </summary>
public sealed class InterruptSignal : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private int _listeners;

    public CancellationToken Token => _source.Token;

    /// <summary>Marks a stretch of code that handles Ctrl+C itself.</summary>
    public IDisposable Listen()
    {
        Interlocked.Increment(ref _listeners);
        return new Scope(this);
    }

    /// <summary>Called from the Ctrl+C handler: true when a listener takes the interrupt (the process stays alive).</summary>
    public bool TryInterrupt()
    {
        if (Volatile.Read(ref _listeners) == 0 || _source.IsCancellationRequested) return false;
        _source.Cancel();
        return true;
    }

    public void Dispose() => _source.Dispose();

    private sealed class Scope(InterruptSignal signal) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) Interlocked.Decrement(ref signal._listeners);
        }
    }
}
