namespace KvmStor.Cli;

/// <summary>
/// Ctrl+C as a cancellation, but only while a command listens for it (pool-event's wait, a volume copy, wipe or
/// transfer): the engine call gets <see cref="Token"/>, which ends any external program it runs. At any other time
/// (or a second time) Ctrl+C keeps its usual meaning and ends the process; so do SIGTERM and SIGHUP. Then
/// <see cref="Ending"/> fires first: the engine kills the programs still running, which sit in process groups of
/// their own and so do not hear the terminal's Ctrl+C themselves.
/// </summary>
public sealed class InterruptSignal : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private readonly CancellationTokenSource _ending = new();
    private int _listeners;

    public CancellationToken Token => _source.Token;

    /// <summary>Fires when a signal is about to end the process.</summary>
    public CancellationToken Ending => _ending.Token;

    /// <summary>Marks a stretch of code that handles Ctrl+C itself.</summary>
    public IDisposable Listen()
    {
        Interlocked.Increment(ref _listeners);
        return new Scope(this);
    }

    /// <summary>Called from the Ctrl+C handler: true when a listener takes the interrupt (the process stays alive).</summary>
    public bool TryInterrupt()
    {
        if (Volatile.Read(ref _listeners) == 0 || _source.IsCancellationRequested)
        {
            End();
            return false;
        }
        _source.Cancel();
        return true;
    }

    /// <summary>Called when a signal ends the process (Ctrl+C nobody takes, SIGTERM, SIGHUP): fires <see cref="Ending"/>.</summary>
    public void End()
    {
        try { _ending.Cancel(); }
        catch (ObjectDisposedException) { } // Main has returned: nothing runs any more
    }

    public void Dispose()
    {
        _source.Dispose();
        _ending.Dispose();
    }

    private sealed class Scope(InterruptSignal signal) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) Interlocked.Decrement(ref signal._listeners);
        }
    }
}
