namespace KvmStor.Backends.IscsiDirect;

/// <summary>
/// The commands of a parallel transfer that are in flight, oldest first: they may finish in any order, but the caller
/// takes them back in the order it queued them, so output, progress and the first error stay in transfer order. The
/// capacity bounds how many (and so how many buffers) are out at once.
/// </summary>
internal sealed class InOrderWindow<T>(int capacity)
{
    private readonly Queue<(Task Command, T State)> _pending = new();

    public bool Full => _pending.Count >= capacity;
    public bool Any => _pending.Count > 0;

    public void Add(Task command, T state) => _pending.Enqueue((command, state));

    /// <summary>Waits for the oldest command and returns its state; rethrows its own exception when it failed.</summary>
    public T TakeOldest()
    {
        var (command, state) = _pending.Dequeue();
        command.GetAwaiter().GetResult();
        return state;
    }

    /// <summary>
    /// After a failure: waits for every command still out (each is bounded by the network timeout) and ignores their
    /// results, so no session is closed and no buffer reused while a command still works on it.
    /// </summary>
    public void Abandon()
    {
        while (_pending.Count > 0)
        {
            var (command, _) = _pending.Dequeue();
            try { command.Wait(); }
            catch (AggregateException) { }
        }
    }
}
