using System.Threading.Channels;
using KvmStor.Server.Protocol;
using KvmStor.Server.Transport;
using KvmStor.Server.Xdr;

namespace KvmStor.Server.Streams;

/// <summary>
/// The receiving side of STORAGE_VOL_UPLOAD (§6.1). The engine reads the client's bytes through <see cref="Source"/>,
/// on its own thread. Once it asks for data, the read loop lends it the socket (<see cref="ClientReadLoan"/>) and each
/// STREAM packet's payload is received straight into the engine's buffer; a packet that is not this stream's goes back
/// to the read loop. Packets the read loop read before that (the first ones, or all of them while another upload of
/// the connection holds the socket) arrive through <see cref="OnPacketAsync"/> and are queued a few packets deep, so
/// a slow disk slows the client rather than filling memory; they are read first, so the bytes stay in order.
/// </summary>
public sealed class UploadTransfer : IServerStream, IDisposable
{
    /// <summary>A piece of the upload: bytes, or (sparse streams) a hole of that many bytes.</summary>
    private readonly record struct Piece(ReadOnlyMemory<byte> Data, long Hole);

    private readonly Channel<Piece> _pieces = Channel.CreateBounded<Piece>(new BoundedChannelOptions(8) { SingleReader = true, SingleWriter = true });
    private readonly CancellationTokenSource _cancel;
    private readonly ClientConnection _connection;
    private readonly PacketHeader _call;
    private readonly bool _sparse;

    public UploadTransfer(ClientConnection connection, PacketHeader call, bool sparse)
    {
        _connection = connection;
        _call = call;
        _sparse = sparse;
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(connection.Closing);
        Source = new PieceReadStream(this);
    }

    public int Procedure => _call.Procedure;

    /// <summary>Stops the engine's transfer: on abort by the client or when it disappears.</summary>
    public CancellationToken Cancel => _cancel.Token;

    /// <summary>The client asked to abort (STREAM/ERROR with an empty payload).</summary>
    public bool Aborted { get; private set; }

    /// <summary>The client sent its finish (STREAM/OK): the data is complete.</summary>
    public bool Finished { get; private set; }

    /// <summary>What the engine reads: the client's bytes in order, holes as zeros (which a sparse upload punches again).</summary>
    public Stream Source { get; }

    /// <summary>A stream packet of this call that the read loop read.</summary>
    public async ValueTask OnPacketAsync(Packet packet)
    {
        var h = packet.Header;
        try
        {
            switch (h.Type, h.Status)
            {
                case (MessageType.Stream, MessageStatus.Continue):
                    if (!packet.Payload.IsEmpty)
                        await _pieces.Writer.WriteAsync(new Piece(packet.Payload, 0), _cancel.Token).ConfigureAwait(false);
                    return;
                case (MessageType.StreamHole, MessageStatus.Continue):
                    if (HoleLength(packet.Payload) is { } length)
                        await _pieces.Writer.WriteAsync(new Piece(default, length), _cancel.Token).ConfigureAwait(false);
                    return;
                case (MessageType.Stream, MessageStatus.Ok):
                    Finished = true;
                    _pieces.Writer.TryComplete();
                    return;
                case (MessageType.Stream, MessageStatus.Error):
                    // The client's abort: what already arrived is written, then the transfer ends (as libvirtd,
                    // capture 145); only a vanished client cancels the write outright.
                    Aborted = true;
                    _pieces.Writer.TryComplete();
                    return;
            }
        }
        catch (Exception e) when (e is ChannelClosedException or OperationCanceledException) { } // the transfer already ended
    }

    /// <summary>
    /// The length of a STREAM_HOLE; null after a protocol violation (a hole on a stream opened without the sparse
    /// flag, §6.1, or a payload that is no hole), which ends the transfer and the connection as libvirtd does.
    /// </summary>
    private long? HoleLength(ReadOnlyMemory<byte> payload)
    {
        try
        {
            if (!_sparse) throw new XdrException("a hole on a stream opened without the sparse flag");
            var r = new XdrReader(payload);
            long length = r.ReadHyper();
            r.ReadUInt();
            if (length < 0) throw new XdrException("negative hole");
            return length;
        }
        catch (XdrException)
        {
            Abort();
            _connection.RequestClose();
            return null;
        }
    }

    public void Abort()
    {
        // Cancelled before the queue is completed, so that a reader finding it completed knows it was not the end of the data.
        try { _cancel.Cancel(); } catch (ObjectDisposedException) { }
        _pieces.Writer.TryComplete();
    }

    /// <summary>The transfer is over (done or failed): later packets are refused, a blocked read loop is freed, the socket given back.</summary>
    public void Close()
    {
        _pieces.Writer.TryComplete();
        _connection.Reads.End(this);
    }

    public void Dispose() => _cancel.Dispose();

    /// <summary>This call's STREAM or STREAM_HOLE packet; any other goes to the read loop.</summary>
    private bool IsOwn(PacketHeader h) =>
        h.Program == _call.Program && h.Version == _call.Version && h.Procedure == _call.Procedure && h.Serial == _call.Serial
        && h.Type is MessageType.Stream or MessageType.StreamHole;

    private sealed class PieceReadStream(UploadTransfer transfer) : Stream
    {
        private ReadOnlyMemory<byte> _data;
        private long _hole;
        private int _payloadLeft;   // bytes of the current STREAM packet still in the socket
        private bool _holding;      // the read loop lent us the socket
        private bool _ended;        // the finish or abort was read from the socket

        private ClientReadLoan Reads => transfer._connection.Reads;

        public override int Read(Span<byte> buffer)
        {
            if (buffer.IsEmpty) return 0;
            while (true)
            {
                if (_hole > 0)
                {
                    int zeros = (int)Math.Min(buffer.Length, _hole);
                    buffer[..zeros].Clear();
                    _hole -= zeros;
                    return zeros;
                }
                if (!_data.IsEmpty)
                {
                    int n = Math.Min(buffer.Length, _data.Length);
                    _data.Span[..n].CopyTo(buffer);
                    _data = _data[n..];
                    return n;
                }
                if (_payloadLeft > 0)
                {
                    int n = ReceivePayload(buffer[..Math.Min(buffer.Length, _payloadLeft)]);
                    _payloadLeft -= n;
                    return n;
                }
                var reader = transfer._pieces.Reader;
                if (reader.TryRead(out var piece))
                {
                    (_data, _hole) = (piece.Data, piece.Hole);
                    continue;
                }
                if (_ended || reader.Completion.IsCompleted)
                {
                    transfer.Cancel.ThrowIfCancellationRequested();
                    Reads.End(transfer);
                    return 0;
                }
                if (_holding) ReadPacketStart();
                else WaitForSocketOrPiece();
            }
        }

        /// <summary>Until the read loop lends the socket or queues a packet it read.</summary>
        private void WaitForSocketOrPiece()
        {
            var cancel = transfer.Cancel;
            cancel.ThrowIfCancellationRequested();
            var piece = transfer._pieces.Reader.WaitToReadAsync(cancel).AsTask();
            if (Reads.Request(transfer) is not { } granted)
            {
                piece.Wait(cancel); // another upload of this connection reads the socket: ours come through the queue
                return;
            }
            Task.WaitAny([granted, piece], cancel);
            cancel.ThrowIfCancellationRequested();
            _holding = granted.IsCompleted;
        }

        /// <summary>The next packet on the lent socket: this stream's data, hole, finish or abort, or another one for the read loop.</summary>
        private void ReadPacketStart()
        {
            PacketStart start;
            try { start = Reads.ReadStart() ?? throw new FramingException("connection closed"); }
            catch (Exception e) when (IsBroken(e)) { throw Broken(); }
            transfer._connection.NoteReceived();
            var h = start.Header;
            if (!transfer.IsOwn(h))
            {
                Reads.Detour(transfer, start).Wait(transfer.Cancel);
                return;
            }
            int payload = start.PayloadLength;
            if ((h.Type, h.Status) == (MessageType.Stream, MessageStatus.Continue))
            {
                _payloadLeft = payload; // received straight into the engine's buffer by Read
                return;
            }
            byte[]? hole = (h.Type, h.Status) == (MessageType.StreamHole, MessageStatus.Continue) ? new byte[payload] : null;
            try
            {
                if (hole is not null) Reads.ReceiveExactly(hole);
                else Reads.Skip(payload);
            }
            catch (Exception e) when (IsBroken(e)) { throw Broken(); }
            switch (h.Type, h.Status)
            {
                case (MessageType.StreamHole, MessageStatus.Continue):
                    if (transfer.HoleLength(hole) is { } length)
                    {
                        _hole = length;
                        return;
                    }
                    Reads.End(transfer); // the read loop sees the close request and ends the connection
                    transfer.Cancel.ThrowIfCancellationRequested();
                    return;
                case (MessageType.Stream, MessageStatus.Ok):
                    transfer.Finished = true;
                    _ended = true;
                    return;
                case (MessageType.Stream, MessageStatus.Error):
                    transfer.Aborted = true; // what arrived before is written, as through the queue
                    _ended = true;
                    return;
                default:
                    return; // a status no stream packet has: ignored, as through the queue
            }
        }

        private int ReceivePayload(Span<byte> buffer)
        {
            try { return Reads.Receive(buffer); }
            catch (Exception e) when (IsBroken(e)) { throw Broken(); }
        }

        private static bool IsBroken(Exception e) =>
            e is FramingException or IOException or System.Net.Sockets.SocketException or ObjectDisposedException;

        /// <summary>A broken connection: the socket goes back as failed (the read loop ends the connection) and the transfer stops as for a vanished client.</summary>
        private OperationCanceledException Broken()
        {
            Reads.End(transfer, failed: true);
            return new OperationCanceledException("the client's connection broke", transfer.Cancel);
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
