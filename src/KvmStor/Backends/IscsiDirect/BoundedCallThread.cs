using System.Runtime.ExceptionServices;
using KvmStor.Host;

namespace KvmStor.Backends.IscsiDirect;

/// <summary>
/// One long-lived thread that makes a session's blocking libiscsi calls, each bounded like
/// <see cref="NetworkTimeout.Run{T}"/> (same limit, same error text). NetworkTimeout starts a thread per call, which
/// costs milliseconds on a busy host; a transfer makes hundreds of calls, so a session keeps one thread instead. After a
/// call ran out of time the thread stays blocked inside libiscsi and is never used again.
/// </summary>
internal sealed class BoundedCallThread : IDisposable
{
    private readonly object _gate = new();
    private readonly Thread _thread;
    private Func<object?>? _pending;
    private object? _result;
    private ExceptionDispatchInfo? _failure;
    private bool _done;
    private bool _closing;
    private bool _stuck;

    public BoundedCallThread()
    {
        _thread = new Thread(Loop) { IsBackground = true, Name = "kvmstor-iscsi" };
        _thread.Start();
    }

    /// <summary>Runs <paramref name="call"/> on the thread; throws "Timed out during operation: …" when it outlasts the bound.</summary>
    public T Run<T>(string what, Func<T> call)
    {
        TimeSpan bound = NetworkTimeout.Limit;
        lock (_gate)
        {
            if (_closing) throw new ObjectDisposedException(nameof(BoundedCallThread));
            _pending = () => call();
            _done = false;
            Monitor.PulseAll(_gate);
            var deadline = DateTime.UtcNow + bound;
            while (!_done)
            {
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero)
                {
                    _closing = true; // the thread is stuck in the call; nothing more may be queued behind it
                    _stuck = true;
                    throw NetworkTimeout.TimedOut(what, bound);
                }
                Monitor.Wait(_gate, left);
            }
            var failure = _failure;
            _failure = null;
            failure?.Throw();
            return (T)_result!;
        }
    }

    private void Loop()
    {
        while (true)
        {
            Func<object?> call;
            lock (_gate)
            {
                while (_pending is null && !_closing) Monitor.Wait(_gate);
                if (_pending is null) return;
                call = _pending;
                _pending = null;
            }
            object? result = null;
            ExceptionDispatchInfo? failure = null;
            try { result = call(); }
            catch (Exception e) { failure = ExceptionDispatchInfo.Capture(e); }
            lock (_gate)
            {
                _result = result;
                _failure = failure;
                _done = true;
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>
    /// Ends the thread and waits for it, unless it is stuck in a call that ran out of time. A thread still parked in
    /// Monitor.Wait when the process exits can die there with an unhandled NullReferenceException from the runtime's
    /// wait handle (seen under NativeAOT: exit status 134 instead of kvmstor's own), so none is left waiting.
    /// </summary>
    public void Dispose()
    {
        bool stuck;
        lock (_gate)
        {
            _closing = true;
            stuck = _stuck;
            Monitor.PulseAll(_gate);
        }
        if (!stuck && Thread.CurrentThread != _thread) _thread.Join();
    }
}
