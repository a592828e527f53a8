namespace KvmStor.Backends.IscsiDirect;

/// <summary>
/// One session's share of a parallel transfer: a worker thread that runs the work posted to it one item at a time,
/// in posting order, against its own <see cref="IscsiLunIo"/>. Every wait inside stays bounded by the session's own
/// call thread; this thread only keeps the caller free to queue the next command on another session meanwhile.
/// </summary>
internal sealed class IscsiLane : IDisposable
{
    private readonly Queue<(Action<IscsiLunIo> Work, TaskCompletionSource Done)> _queue = new();
    private readonly Thread _thread;
    private bool _closing;

    public IscsiLunIo Io { get; }

    /// <summary>Held while the lane runs an item; whoever else uses <see cref="Io"/>'s session takes it too.</summary>
    public object Gate { get; } = new();

    public IscsiLane(IscsiLunIo io)
    {
        Io = io;
        _thread = new Thread(Loop) { IsBackground = true, Name = "kvmstor-iscsi-lane" };
        _thread.Start();
    }

    /// <summary>Queues <paramref name="work"/>; the task ends when it ran (faulted with its exception when it threw).</summary>
    public Task Post(Action<IscsiLunIo> work)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_queue)
        {
            if (_closing) throw new ObjectDisposedException(nameof(IscsiLane));
            _queue.Enqueue((work, done));
            Monitor.Pulse(_queue);
        }
        return done.Task;
    }

    private void Loop()
    {
        while (true)
        {
            (Action<IscsiLunIo> Work, TaskCompletionSource Done) item;
            lock (_queue)
            {
                while (_queue.Count == 0 && !_closing) Monitor.Wait(_queue);
                if (_queue.Count == 0) return;
                item = _queue.Dequeue();
            }
            try
            {
                lock (Gate) item.Work(Io);
                item.Done.SetResult();
            }
            catch (Exception e)
            {
                item.Done.SetException(e);
            }
        }
    }

    /// <summary>
    /// Lets the thread finish what is queued and waits for it to end (the caller has already waited for its tasks, and
    /// every command is bounded), so no lane thread is left parked in a wait when the process exits.
    /// </summary>
    public void Dispose()
    {
        lock (_queue)
        {
            _closing = true;
            Monitor.Pulse(_queue);
        }
        if (Thread.CurrentThread != _thread) _thread.Join();
    }
}
