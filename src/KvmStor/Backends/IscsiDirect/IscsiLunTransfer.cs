using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.Backends.IscsiDirect;

/// <summary>
/// vol-upload, vol-download and vol-wipe straight to and from a LUN. Sparse-aware without ever trusting a guess:
/// a download skips what GET LBA STATUS reports deallocated (and zero blocks it read) by seeking its output; an upload
/// with --sparse turns zero runs into WRITE SAME zeroing instead of skipping them, so the LUN reads back exactly the
/// uploaded bytes whatever it held before.
/// </summary>
internal static class IscsiLunTransfer
{
    /// <summary>Granularity at which zero runs are detected in transferred data.</summary>
    private const int ZeroScanBytes = 4096;

    public static void Download(IscsiLunLanes lanes, IscsiLbaMap map, Stream destination, ulong offset, ulong length, bool sparse,
        ByteProgress? progress, CancellationToken cancel)
    {
        var io = lanes.Primary;
        ulong size = io.Capacity.Bytes, bs = io.BlockSize;
        if (offset > size) offset = size;
        ulong end = length == 0 ? size : Math.Min(size, offset + length);
        bool skipZeros = sparse && destination.CanSeek;
        if (skipZeros && destination.Length < destination.Position + (long)(end - offset))
            destination.SetLength(destination.Position + (long)(end - offset));
        // Reads run ahead on every lane; their data is written out strictly in order as the oldest one finishes.
        var window = new InOrderWindow<DownloadPiece>(WindowPerLane * lanes.Count);
        var spare = new Stack<byte[]>();
        int issued = 0;
        ulong pos = offset;
        void Emit(DownloadPiece piece)
        {
            if (piece.Buffer is null) destination.Seek((long)piece.Bytes, SeekOrigin.Current);
            else
            {
                WriteOut(destination, piece.Buffer.AsSpan(piece.Within, (int)piece.Bytes), skipZeros);
                spare.Push(piece.Buffer);
            }
            progress?.Invoke((long)(piece.End - offset), (long)(end - offset));
        }
        try
        {
            while (pos < end)
            {
                cancel.ThrowIfCancellationRequested();
                while (window.Full) Emit(window.TakeOldest());
                ulong lba = pos / bs, within = pos % bs;
                if (skipZeros && within == 0 && lanes.OnPrimary(() => map.ZeroBlocksAt(lba)) is var zeroBlocks and > 0)
                {
                    ulong skip = Math.Min(zeroBlocks * bs, end - pos);
                    pos += skip;
                    window.Add(Task.CompletedTask, new DownloadPiece(null, 0, skip, pos));
                    continue;
                }
                ulong want = Math.Min((ulong)ChunkBytes, end - pos);
                if (skipZeros) want = Math.Min(want, Math.Max(1, lanes.OnPrimary(() => map.DataBlocksAt(lba))) * bs - within);
                int readBytes = (int)((within + want + bs - 1) / bs * bs);
                var buffer = spare.Count > 0 ? spare.Pop() : new byte[ChunkBytes + (int)bs];
                pos += want;
                window.Add(lanes.Post(issued++, lane => lane.Read(lba, buffer, 0, readBytes)), new DownloadPiece(buffer, (int)within, want, pos));
            }
            while (window.Any) Emit(window.TakeOldest());
        }
        catch (Exception e)
        {
            window.Abandon();
            if (e is StorageException { Code: ErrorCode.OperationTimeout }) lanes.GiveUpOnTarget();
            throw;
        }
        destination.Flush();
    }

    /// <summary>Bytes[Within..+Bytes) of a finished read (null Buffer: a deallocated range to seek over); End: transfer position after it.</summary>
    private readonly record struct DownloadPiece(byte[]? Buffer, int Within, ulong Bytes, ulong End);

    /// <summary>Commands in flight per lane: one running, one queued behind it so the lane never idles.</summary>
    private const int WindowPerLane = 2;

    /// <summary>
    /// Bytes per READ/WRITE of a transfer. With several in flight, smaller commands pipeline as well as big ones did
    /// alone, and keep the data read ahead (lanes × window × chunk) small.
    /// </summary>
    private const int ChunkBytes = 1 << 20;

    private static void WriteOut(Stream destination, ReadOnlySpan<byte> data, bool skipZeros)
    {
        if (!skipZeros)
        {
            destination.Write(data);
            return;
        }
        for (int i = 0; i < data.Length; i += ZeroScanBytes)
        {
            var block = data.Slice(i, Math.Min(ZeroScanBytes, data.Length - i));
            if (block.ContainsAnyExcept((byte)0)) destination.Write(block);
            else destination.Seek(block.Length, SeekOrigin.Current);
        }
    }

    /// <summary>
    /// Writes the stream to the LUN from <paramref name="offset"/> (a whole block). A stream longer than
    /// <paramref name="length"/> (or than the LUN) fails like a full device after the part that fits is written.
    /// </summary>
    public static void Upload(IscsiLunLanes lanes, Stream source, ulong offset, ulong length, bool sparse, ByteProgress? progress, CancellationToken cancel)
    {
        var io = lanes.Primary;
        ulong size = io.Capacity.Bytes, bs = io.BlockSize;
        if (offset % bs != 0)
            throw StorageException.InvalidArg($"upload offset {offset} is not a multiple of the LUN's block size {bs}");
        if (offset > size) throw StorageException.InvalidArg($"upload offset {offset} is past the end of the LUN ({size} bytes)");
        ulong limit = size - offset;
        if (length != 0) limit = Math.Min(limit, length);
        long total = length != 0 ? (long)length : source.CanSeek ? source.Length - source.Position : -1;
        int chunk = Math.Max((int)bs, ChunkBytes - ChunkBytes % (int)bs);
        // The next chunk is read from the source while earlier ones are written on the lanes; progress counts a chunk
        // only once it and every chunk before it are on the LUN.
        var window = new InOrderWindow<(byte[] Buffer, ulong Done)>(WindowPerLane * lanes.Count);
        var spare = new Stack<byte[]>();
        int issued = 0;
        ulong done = 0;
        void Settle()
        {
            var (buffer, written) = window.TakeOldest();
            spare.Push(buffer);
            progress?.Invoke((long)written, total);
        }
        try
        {
            while (true)
            {
                cancel.ThrowIfCancellationRequested();
                while (window.Full) Settle();
                var buffer = spare.Count > 0 ? spare.Pop() : new byte[chunk];
                int n = ReadFull(source, buffer.AsSpan(0, (int)Math.Min((ulong)chunk, Math.Max(limit - done, 1))));
                if (n == 0) break;
                bool overflow = done + (ulong)n > limit;
                int fits = overflow ? (int)(limit - done) : n;
                ulong lba = (offset + done) / bs;
                done += (ulong)fits;
                window.Add(lanes.Post(issued++, lane => WriteChunk(lane, buffer, fits, lba, sparse)), (buffer, done));
                if (overflow)
                {
                    while (window.Any) Settle();
                    throw StorageException.System("cannot write to stream", Errno.ENOSPC);
                }
            }
            while (window.Any) Settle();
        }
        catch (Exception e)
        {
            window.Abandon();
            if (e is StorageException { Code: ErrorCode.OperationTimeout }) lanes.GiveUpOnTarget();
            throw;
        }
    }

    /// <summary>vol-wipe: the whole LUN zeroed (the only algorithm iscsi-direct offers, as in libvirt).</summary>
    public static void Wipe(IscsiLunIo io, ByteProgress? progress, CancellationToken cancel)
    {
        long total = (long)io.Capacity.Bytes, done = 0;
        io.Zero(0, io.Capacity.Blocks, blocks =>
        {
            cancel.ThrowIfCancellationRequested();
            done += (long)(blocks * io.BlockSize);
            progress?.Invoke(done, total);
        });
    }

    /// <summary>Writes buffer[0..bytes) at <paramref name="lba"/>; a partial last block is merged with what the LUN holds.</summary>
    private static void WriteChunk(IscsiLunIo io, byte[] buffer, int bytes, ulong lba, bool sparse)
    {
        int bs = (int)io.BlockSize;
        int whole = bytes - bytes % bs;
        if (sparse) WriteSparse(io, buffer, whole, lba);
        else if (whole > 0) io.Write(lba, buffer, 0, whole);
        if (whole == bytes) return;
        var last = new byte[bs];
        ulong lastLba = lba + (ulong)(whole / bs);
        io.Read(lastLba, last, 0, bs);
        buffer.AsSpan(whole, bytes - whole).CopyTo(last);
        io.Write(lastLba, last, 0, bs);
    }

    /// <summary>Data runs are written; zero runs are zeroed on the LUN (WRITE SAME), never skipped.</summary>
    private static void WriteSparse(IscsiLunIo io, byte[] buffer, int bytes, ulong lba)
    {
        int bs = (int)io.BlockSize, scan = Math.Max(ZeroScanBytes, bs);
        for (int i = 0; i < bytes;)
        {
            bool zero = IsZero(buffer, i, Math.Min(scan, bytes - i));
            int runEnd = Math.Min(i + scan, bytes);
            while (runEnd < bytes && IsZero(buffer, runEnd, Math.Min(scan, bytes - runEnd)) == zero) runEnd = Math.Min(runEnd + scan, bytes);
            ulong at = lba + (ulong)(i / bs);
            if (zero) io.Zero(at, (ulong)((runEnd - i) / bs));
            else io.Write(at, buffer, i, runEnd - i);
            i = runEnd;
        }
    }

    private static bool IsZero(byte[] buffer, int at, int count) => !buffer.AsSpan(at, count).ContainsAnyExcept((byte)0);

    private static int ReadFull(Stream source, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = source.Read(buffer[total..]);
            if (n == 0) break;
            total += n;
        }
        return total;
    }
}
