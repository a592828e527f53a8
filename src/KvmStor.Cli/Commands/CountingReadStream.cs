namespace KvmStor.Cli.Commands;

/// <summary>
/// A read-only view of a stream that counts what was read from it and whether its end was reached; works for
/// pipes and FIFOs too, where Position and Length are not available (vol-upload uses it to word its errors).
/// </summary>
public sealed class CountingReadStream(Stream inner) : Stream
{
    public long BytesRead { get; private set; }
    public bool ReachedEnd { get; private set; }

    public override bool CanRead => true;
    public override bool CanSeek => inner.CanSeek;
    public override bool CanWrite => false;
    public override long Length => inner.Length;

    public override long Position
    {
        get => inner.Position;
        set => inner.Position = value;
    }

    public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count), count);

    public override int Read(Span<byte> buffer) => Count(inner.Read(buffer), buffer.Length);

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false), buffer.Length);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private int Count(int read, int asked)
    {
        BytesRead += read;
        if (read == 0 && asked > 0) ReachedEnd = true;
        return read;
    }
}
