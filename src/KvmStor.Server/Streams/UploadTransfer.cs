using System.Threading.Channels;
using KvmStor.Server.Protocol;
using KvmStor.Server.Transport;
using KvmStor.Server.Xdr;

namespace KvmStor.Server.Streams;

/// <summary>
/// The receiving side of STORAGE_VOL_UPLOAD (§6.1): the read loop hands each STREAM packet of the call's serial to
/// <see cref="OnPacketAsync"/>, which queues its data (a few packets deep, so a slow disk slows the client rather than
/// filling memory); the engine reads them through <see cref="Source"/>.
/// </summary>
public sealed class UploadTransfer : IServerStream, IDisposable
{
    /// <summary>A piece of the upload: bytes, or (sparse streams) a hole of that many bytes.</summary>
    private readonly record struct Piece(ReadOnlyMemory<byte> Data, long Hole);

    private readonly Channel<Piece> _pieces = Channel.CreateBounded<Piece>(new BoundedChannelOptions(8) { SingleReader = true, SingleWriter = true });
    private readonly CancellationTokenSource _cancel;
    private readonly ClientConnection _connection;
    private readonly bool _sparse;

    public UploadTransfer(ClientConnection connection, int procedure, bool sparse)
    {
        _connection = connection;
        Procedure = procedure;
        _sparse = sparse;
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(connection.Closing);
        Source = new PieceReadStream(this);
    }

    public int Procedure { get; }

    /// <summary>Stops the engine's transfer: on abort by the client or when it disappears.</summary>
    public CancellationToken Cancel => _cancel.Token;

    /// <summary>The client asked to abort (STREAM/ERROR with an empty payload).</summary>
    public bool Aborted { get; private set; }

    /// <summary>The client sent its finish (STREAM/OK): the data is complete.</summary>
    public bool Finished { get; private set; }

    /// <summary>What the engine reads: the client's bytes in order, holes as zeros (which a sparse upload punches again).</summary>
    public Stream Source { get; }

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
                    if (!_sparse)
                    {
                        // A hole on a stream opened without the sparse flag is a protocol violation (§6.1).
                        Abort();
                        _connection.RequestClose();
                        return;
                    }
                    var r = new XdrReader(packet.Payload);
                    long length = r.ReadHyper();
                    r.ReadUInt();
                    if (length < 0) throw new XdrException("negative hole");
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
        catch (XdrException)
        {
            Abort();
            _connection.RequestClose();
        }
    }

    public void Abort()
    {
        _pieces.Writer.TryComplete();
        try { _cancel.Cancel(); } catch (ObjectDisposedException) { }
    }

    /// <summary>The transfer is over (done or failed): later packets are refused, a blocked read loop is freed.</summary>
    public void Close() => _pieces.Writer.TryComplete();

    public void Dispose() => _cancel.Dispose();

    private sealed class PieceReadStream(UploadTransfer transfer) : Stream
    {
        private ReadOnlyMemory<byte> _data;
        private long _hole;

        public override int Read(Span<byte> buffer)
        {
            while (_data.IsEmpty && _hole == 0)
            {
                var reader = transfer._pieces.Reader;
                if (reader.TryRead(out var piece))
                {
                    (_data, _hole) = (piece.Data, piece.Hole);
                    continue;
                }
                if (!reader.WaitToReadAsync(transfer.Cancel).AsTask().GetAwaiter().GetResult())
                {
                    transfer.Cancel.ThrowIfCancellationRequested();
                    return 0;
                }
            }
            if (_hole > 0)
            {
                int zeros = (int)Math.Min(buffer.Length, _hole);
                buffer[..zeros].Clear();
                _hole -= zeros;
                return zeros;
            }
            int n = Math.Min(buffer.Length, _data.Length);
            _data.Span[..n].CopyTo(buffer);
            _data = _data[n..];
            return n;
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
