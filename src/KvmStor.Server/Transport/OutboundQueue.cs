using System.Threading.Channels;

namespace KvmStor.Server.Transport;

/// <summary>What a packet is, for the queue's limits.</summary>
public enum OutboundKind { Reply, Event, StreamData }

/// <summary>
/// A connection's packets waiting to go out, written whole and in order by one writer task, so no caller ever blocks
/// on a client that does not read: replies and events are queued at once, and only a download (whose thread is the
/// client's own call) waits while its data fills the stream window. The bytes queued are counted per kind, so the
/// connection can stop reading calls while replies pile up and drop a client whose events do.
/// </summary>
public sealed class OutboundQueue
{
    private readonly Channel<(byte[] Bytes, OutboundKind Kind)> _packets =
        Channel.CreateUnbounded<(byte[], OutboundKind)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly long[] _queued = new long[3];
    private TaskCompletionSource _written = NewSignal();
    private volatile bool _ended;

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Bytes of that kind queued and not yet written.</summary>
    public long Queued(OutboundKind kind) => Interlocked.Read(ref _queued[(int)kind]);

    /// <summary>Queues a packet; false once the queue is closed (the client is going).</summary>
    public bool Enqueue(byte[] bytes, OutboundKind kind)
    {
        Interlocked.Add(ref _queued[(int)kind], bytes.Length);
        if (_packets.Writer.TryWrite((bytes, kind))) return true;
        Interlocked.Add(ref _queued[(int)kind], -bytes.Length);
        return false;
    }

    /// <summary>Waits (asynchronously) until fewer than <paramref name="limit"/> bytes of that kind are queued, or the writer ended.</summary>
    public async Task WaitBelowAsync(OutboundKind kind, long limit, CancellationToken cancel)
    {
        while (true)
        {
            // The signal is taken before the check, so a write finishing in between still wakes this waiter.
            var written = Volatile.Read(ref _written).Task;
            if (_ended || Queued(kind) < limit) return;
            await written.WaitAsync(cancel).ConfigureAwait(false);
        }
    }

    /// <summary>No more packets: the writer ends once it wrote those already queued.</summary>
    public void Complete() => _packets.Writer.TryComplete();

    /// <summary>Writes the packets in order until the queue is completed or <paramref name="cancel"/> fires; a write error ends it too.</summary>
    public async Task WriteAllAsync(Stream stream, CancellationToken cancel)
    {
        try
        {
            await foreach (var (bytes, kind) in _packets.Reader.ReadAllAsync(cancel).ConfigureAwait(false))
            {
                await stream.WriteAsync(bytes, cancel).ConfigureAwait(false);
                Interlocked.Add(ref _queued[(int)kind], -bytes.Length);
                Interlocked.Exchange(ref _written, NewSignal()).TrySetResult();
            }
        }
        finally
        {
            // Whatever ended the writer, nothing more will be written: later packets are refused, waiters freed.
            _ended = true;
            _packets.Writer.TryComplete();
            Interlocked.Exchange(ref _written, NewSignal()).TrySetResult();
        }
    }
}
