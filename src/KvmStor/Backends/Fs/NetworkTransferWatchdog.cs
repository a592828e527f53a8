using System.Globalization;
using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.Backends.Fs;

/// <summary>
/// Bounds a long data transfer over a network filesystem by its progress, not its length: a 256 GiB upload may
/// take an hour, but a server that stops answering makes it stall. The transfer runs on its own thread; when no
/// byte has moved for KVMSTOR_NETWORK_TIMEOUT (time spent waiting for the caller's own input stream excepted), the
/// command fails with "Timed out during operation". The stuck thread is left behind and ends with the process
/// (a thread stuck in a FUSE request would hold the process back: netfs pools abort that mount's FUSE connection).
/// </summary>
public sealed class NetworkTransferWatchdog
{
    private readonly string _what;
    private readonly TimeSpan _limit;
    private long _lastActivity = Environment.TickCount64;
    private int _pausedDepth;

    private NetworkTransferWatchdog(string what, TimeSpan limit)
    {
        _what = what;
        _limit = limit;
    }

    /// <summary>Runs <paramref name="transfer"/>, giving it a progress callback and a token the watchdog cancels on a stall.</summary>
    public static void Run(string what, ByteProgress? progress, CancellationToken cancel,
        Action<NetworkTransferWatchdog, ByteProgress, CancellationToken> transfer, TimeSpan? limit = null)
    {
        var watchdog = new NetworkTransferWatchdog(what, limit ?? NetworkTimeout.Limit);
        using var stalled = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        ByteProgress tracked = (done, total) => { watchdog.Touch(); progress?.Invoke(done, total); };
        System.Runtime.ExceptionServices.ExceptionDispatchInfo? failure = null;
        var finished = new ManualResetEventSlim(); // not disposed: a stuck worker may set it much later
        var worker = new Thread(() =>
        {
            try { transfer(watchdog, tracked, stalled.Token); }
            catch (Exception e) { failure = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e); }
            finally { finished.Set(); }
        }) { IsBackground = true, Name = "kvmstor-transfer" };
        worker.Start();
        while (!finished.Wait(TimeSpan.FromMilliseconds(100)))
        {
            if (!watchdog.Stalled) continue;
            stalled.Cancel();
            throw new StorageException(ErrorCode.OperationTimeout,
                $"{what}: no progress within {watchdog._limit.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s (KVMSTOR_NETWORK_TIMEOUT)");
        }
        failure?.Throw();
    }

    /// <summary>Something moved: restart the clock.</summary>
    public void Touch() => Interlocked.Exchange(ref _lastActivity, Environment.TickCount64);

    private bool Stalled =>
        Volatile.Read(ref _pausedDepth) == 0 &&
        Environment.TickCount64 - Interlocked.Read(ref _lastActivity) > (long)_limit.TotalMilliseconds;

    /// <summary>Wraps the caller's input so that waiting for it (a slow pipe) does not count as a stalled server.</summary>
    public Stream ExcludeWaitsOn(Stream input) => new PausingStream(input, this);

    private sealed class PausingStream(Stream inner, NetworkTransferWatchdog watchdog) : Stream
    {
        public override bool CanRead => inner.CanRead;
        public override bool CanSeek => inner.CanSeek;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => inner.Position = value; }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            Interlocked.Increment(ref watchdog._pausedDepth);
            try { return inner.Read(buffer); }
            finally
            {
                watchdog.Touch();
                Interlocked.Decrement(ref watchdog._pausedDepth);
            }
        }
    }
}
