using System.Buffers;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using KvmStor.Server.Protocol;
using KvmStor.Server.Xdr;

namespace KvmStor.Server.Transport;

/// <summary>How a borrower gave the client's socket back to the read loop.</summary>
/// <param name="Foreign">the start of a packet that is not the borrower's: the read loop reads its rest and handles it</param>
/// <param name="Failed">the connection broke (end of stream, framing error, socket error): the read loop ends it</param>
public readonly record struct LoanEnd(PacketStart? Foreign, bool Failed);

/// <summary>
/// Lets one transfer (an upload) read its own packets straight from the client's socket on its own thread, into its
/// own buffer: no thread hop, no allocation and no copy per packet, where the read loop would read each packet into an
/// array and queue it. The read loop lends the socket between two packets when the borrower asks, and waits until it
/// is given back: for one packet that is not the borrower's (a keepalive, another call; the loop reads and handles it
/// as usual and lends the socket again), when the borrower is done, or when the connection broke. Only the holder
/// reads, so the byte stream is never read by two threads at once.
/// </summary>
public sealed partial class ClientReadLoan(Socket socket, int maxPacket)
{
    private readonly Lock _lock = new();
    private object? _borrower;
    private TaskCompletionSource? _granted;
    private TaskCompletionSource<LoanEnd>? _returned;

    private static TaskCompletionSource NewGrant() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    // ---- the borrower's side ----

    /// <summary>
    /// Asks for the socket: a task that completes once the read loop lent it (at once if <paramref name="borrower"/>
    /// holds it already); null while another borrower asked for it or holds it.
    /// </summary>
    public Task? Request(object borrower)
    {
        lock (_lock)
        {
            if (_borrower is not null && !ReferenceEquals(_borrower, borrower)) return null;
            _borrower = borrower;
            return (_granted ??= NewGrant()).Task;
        }
    }

    /// <summary>
    /// Gives the socket back for one packet that is not the borrower's and asks for it again: the task completes when
    /// the read loop, having handled that packet, lent it back.
    /// </summary>
    public Task Detour(object borrower, PacketStart foreign)
    {
        lock (_lock)
        {
            if (!ReferenceEquals(_borrower, borrower) || _returned is null) throw new InvalidOperationException("the socket is not lent to this borrower");
            var returned = _returned;
            _returned = null;
            // Asked again before the loop learns of the packet, so that it lends the socket back instead of reading on.
            _granted = NewGrant();
            returned.TrySetResult(new LoanEnd(foreign, Failed: false));
            return _granted.Task;
        }
    }

    /// <summary>The borrower is done (or failed): a request is withdrawn, a loan given back. Harmless when it holds none.</summary>
    public void End(object borrower, bool failed = false)
    {
        lock (_lock)
        {
            if (!ReferenceEquals(_borrower, borrower)) return;
            _borrower = null;
            _granted = null;
            var returned = _returned;
            _returned = null;
            returned?.TrySetResult(new LoanEnd(null, failed));
        }
    }

    /// <summary>
    /// The holder reads the next packet's length word and header; null at a clean end of stream. The length word is
    /// checked before anything else is read, as the read loop does.
    /// </summary>
    public PacketStart? ReadStart()
    {
        var bytes = new byte[ProtocolLimits.MinPacket];
        int got = ReceiveAtMost(bytes.AsSpan(0, 4), 4);
        if (got == 0) return null;
        if (got < 4) throw new FramingException("connection closed inside a length word");
        uint length = PacketReader.CheckLength(bytes.AsSpan(0, 4), maxPacket);
        ReceiveExactly(bytes.AsSpan(4));
        return new PacketStart(length, PacketHeader.Read(bytes.AsSpan(4)), bytes);
    }

    /// <summary>The holder reads payload bytes: at least one, at most <paramref name="buffer"/>'s length (the caller bounds it by what the packet has left).</summary>
    public int Receive(Span<byte> buffer)
    {
        int n = NativeReceive(buffer);
        if (n == 0) throw new FramingException("connection closed inside a packet");
        return n;
    }

    /// <summary>
    /// recv(2) on the socket, waiting in poll(2) on this thread when nothing has arrived: .NET's Socket.Receive on a
    /// socket also used asynchronously waits through its event thread and a thread-pool hand-off per wake-up, which an
    /// upload pays every 256 KiB. The handle is held for the call, so its descriptor cannot be closed and reused
    /// meanwhile; the wait looks every 100 ms whether the connection was closed.
    /// </summary>
    private unsafe int NativeReceive(Span<byte> buffer)
    {
        var handle = socket.SafeHandle;
        bool added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            int fd = (int)handle.DangerousGetHandle();
            fixed (byte* start = buffer)
                while (true)
                {
                    if (handle.IsClosed) throw new ObjectDisposedException(nameof(Socket));
                    nint n = recv(fd, start, (nuint)buffer.Length, 0);
                    if (n >= 0) return (int)n;
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == EINTR) continue;
                    if (errno != EAGAIN) throw new SocketException(errno);
                    var wait = new PollFd { Fd = fd, Events = POLLIN };
                    if (poll(&wait, 1, 100) < 0 && Marshal.GetLastPInvokeError() != EINTR)
                        throw new SocketException(Marshal.GetLastPInvokeError());
                }
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    private const int EINTR = 4, EAGAIN = 11;
    private const short POLLIN = 1;

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Returned;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial nint recv(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int poll(PollFd* fds, nuint count, int timeoutMilliseconds);

    public void ReceiveExactly(Span<byte> buffer)
    {
        while (!buffer.IsEmpty) buffer = buffer[Receive(buffer)..];
    }

    /// <summary>The holder skips a payload it has no use for, without allocating its size.</summary>
    public void Skip(int length)
    {
        if (length == 0) return;
        var scratch = ArrayPool<byte>.Shared.Rent(Math.Min(length, 64 << 10));
        try
        {
            while (length > 0) length -= Receive(scratch.AsSpan(0, Math.Min(length, scratch.Length)));
        }
        finally { ArrayPool<byte>.Shared.Return(scratch); }
    }

    private int ReceiveAtMost(Span<byte> buffer, int want)
    {
        int got = 0;
        while (got < want)
        {
            int n = NativeReceive(buffer[got..want]);
            if (n == 0) break;
            got += n;
        }
        return got;
    }

    // ---- the read loop's side ----

    /// <summary>Lends the socket when a borrower asked for it: the task completes when it is given back; null when nobody asked.</summary>
    internal Task<LoanEnd>? TryLend()
    {
        lock (_lock)
        {
            if (_granted is null || _granted.Task.IsCompleted) return null;
            _returned = new TaskCompletionSource<LoanEnd>(TaskCreationOptions.RunContinuationsAsynchronously);
            _granted.TrySetResult();
            return _returned.Task;
        }
    }
}
