using KvmStor.Server.Protocol;
using KvmStor.Server.Transport;
using KvmStor.Server.Xdr;

namespace KvmStor.Server.Streams;

/// <summary>
/// The sending side of STORAGE_VOL_DOWNLOAD (§6.2): the engine writes into <see cref="Destination"/>, which cuts the
/// bytes into STREAM/CONTINUE packets; for a sparse stream it is seekable, and a seek forward becomes a STREAM_HOLE.
/// The client's finish or abort arrives through <see cref="OnPacketAsync"/>.
/// </summary>
public sealed class DownloadTransfer : IServerStream, IDisposable
{
    private readonly ClientConnection _connection;
    private readonly PacketHeader _call;
    private readonly CancellationTokenSource _cancel;
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public DownloadTransfer(ClientConnection connection, PacketHeader call, bool sparse)
    {
        _connection = connection;
        _call = call;
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(connection.Closing);
        Destination = new PacketWriteStream(this, sparse);
    }

    public int Procedure => _call.Procedure;
    public CancellationToken Cancel => _cancel.Token;
    public bool Aborted { get; private set; }
    public Stream Destination { get; }

    /// <summary>Completes when the client sent its finish or its abort.</summary>
    public Task Ended => _ended.Task;

    public ValueTask OnPacketAsync(Packet packet)
    {
        var h = packet.Header;
        if (h.Type == MessageType.Stream && h.Status == MessageStatus.Error)
        {
            Aborted = true;
            Abort();
        }
        else if (h.Type == MessageType.Stream && h.Status == MessageStatus.Ok)
        {
            _ended.TrySetResult();
        }
        return ValueTask.CompletedTask; // a client sends no data on a download: anything else is dropped
    }

    public void Abort()
    {
        try { _cancel.Cancel(); } catch (ObjectDisposedException) { }
        _ended.TrySetResult();
    }

    /// <summary>End of data: the trailing hole, then an empty STREAM/CONTINUE.</summary>
    public void SendEnd()
    {
        ((PacketWriteStream)Destination).SendPendingHole();
        Send(MessageType.Stream, MessageStatus.Continue, ReadOnlyMemory<byte>.Empty);
    }

    public void Send(MessageType type, MessageStatus status, ReadOnlyMemory<byte> payload) =>
        _connection.Send(new Packet(_call.Answer(type, status), payload));

    /// <summary>A STREAM/CONTINUE of data, copied once from the engine's buffer into the packet's bytes.</summary>
    private void SendData(ReadOnlySpan<byte> data)
    {
        var header = _call.Answer(MessageType.Stream, MessageStatus.Continue);
        _connection.SendEncoded(header, Packet.Encode(header, data));
    }

    public void Dispose() => _cancel.Dispose();

    private sealed class PacketWriteStream(DownloadTransfer transfer, bool sparse) : Stream
    {
        private long _position, _length, _pendingHole;

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            SendPendingHole();
            while (!buffer.IsEmpty)
            {
                transfer.Cancel.ThrowIfCancellationRequested();
                int n = Math.Min(buffer.Length, ProtocolLimits.StreamChunk);
                transfer.SendData(buffer[..n]);
                buffer = buffer[n..];
                _position += n;
            }
            _length = Math.Max(_length, _position);
        }

        public void SendPendingHole()
        {
            if (_pendingHole == 0) return;
            transfer.Cancel.ThrowIfCancellationRequested();
            var w = new XdrWriter();
            w.WriteHyper(_pendingHole);
            w.WriteUInt(0);
            transfer.Send(MessageType.StreamHole, MessageStatus.Continue, w.WrittenMemory.ToArray());
            _pendingHole = 0;
        }

        public override long Seek(long offset, SeekOrigin origin)
        {
            long target = origin switch
            {
                SeekOrigin.Begin => offset,
                SeekOrigin.Current => _position + offset,
                _ => _length + offset,
            };
            if (!sparse || target < _position) throw new NotSupportedException("a stream only moves forward");
            _pendingHole += target - _position;
            _position = target;
            _length = Math.Max(_length, _position);
            return _position;
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override bool CanRead => false;
        public override bool CanSeek => sparse;
        public override bool CanWrite => true;
        public override long Length => _length;
        public override long Position { get => _position; set => Seek(value, SeekOrigin.Begin); }
        public override void Flush() { }
        public override void SetLength(long value) => _length = Math.Max(value, 0);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
