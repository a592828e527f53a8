using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.Backends.Rbd;

/// <summary>
/// vol-upload, vol-download and vol-wipe on an RBD image. Download reads only the extents that hold data (from
/// rbd_diff_iterate2, parent included); a sparse upload discards zero runs instead of writing them.
/// </summary>
internal static class RbdTransfer
{
    private const int Chunk = 4 << 20;
    /// <summary>Chunks read or written at once by a transfer.</summary>
    private const int Window = 8;
    /// <summary>Granularity at which zero runs are found (as in the file pools).</summary>
    private const int ZeroBlock = 4096;

    /// <summary>
    /// kvmstor's upload rule: data must fit between the offset and the capacity (a known-size stream is refused before
    /// anything is written) unless growing is allowed, in which case the image is resized to hold it.
    /// </summary>
    public static void Upload(RbdImage image, Stream source, TransferRange range, ByteProgress? progress, CancellationToken cancel)
    {
        ulong capacity = image.Stat().Size;
        ulong? wanted = range.Length != 0 ? range.Length
            : source.CanSeek ? (ulong)Math.Max(0, source.Length - source.Position) : null;
        ulong limit;
        if (range.AllowGrow)
        {
            limit = range.Length != 0 ? range.Length : ulong.MaxValue - range.Offset;
            if (wanted is { } w && range.Offset + w > capacity) image.Resize(capacity = range.Offset + w);
        }
        else
        {
            if (range.Offset > capacity)
                throw StorageException.InvalidArg($"offset {range.Offset} is beyond the capacity of volume '{image.Name}' ({capacity} bytes)");
            ulong room = capacity - range.Offset;
            if (wanted > room)
                throw StorageException.InvalidArg(
                    $"upload of {wanted} bytes at offset {range.Offset} exceeds the capacity of volume '{image.Name}' ({capacity} bytes); resize the volume first");
            limit = range.Length != 0 ? range.Length : room;
        }

        // A window of chunks is read from the stream, then written in parallel (one write at a time leaves the OSDs
        // idle between round trips).
        var window = new byte[Window][];
        ulong done = 0;
        long total = wanted is { } known ? (long)known : -1;
        bool finished = false;
        while (!finished)
        {
            cancel.ThrowIfCancellationRequested();
            var batch = new List<(ulong At, int Length, int Slot)>();
            bool overflow = false;
            for (int slot = 0; slot < Window && !finished; slot++)
            {
                var buffer = window[slot] ??= new byte[Chunk];
                int want = (int)Math.Min((ulong)buffer.Length, Math.Max(limit - done, 1));
                int n = ReadBlock(source, buffer.AsSpan(0, want));
                if (n == 0) { finished = true; break; }
                overflow = done + (ulong)n > limit;
                batch.Add((range.Offset + done, overflow ? (int)(limit - done) : n, slot));
                done += (ulong)n;
                finished = overflow;
            }
            if (batch.Count == 0) break;
            ulong batchEnd = batch[^1].At + (ulong)batch[^1].Length;
            if (range.AllowGrow && batchEnd > capacity) image.Resize(capacity = batchEnd);
            InParallel(batch.Count, j => WriteChunk(image, window[batch[j].Slot].AsSpan(0, batch[j].Length), batch[j].At, range.Sparse));
            if (overflow) throw StorageException.System("cannot write to stream", Errno.ENOSPC);
            progress?.Invoke((long)done, total);
        }
        image.Flush();
    }

    /// <summary>
    /// Sends [offset, offset+length) of the image. Only data extents are read; holes become zeros in the stream or,
    /// with --sparse and a seekable destination, holes in the file.
    /// </summary>
    public static void Download(RbdImage image, Stream destination, TransferRange range, ByteProgress? progress, CancellationToken cancel)
    {
        ulong size = image.Stat().Size;
        if (range.Offset > size)
            throw StorageException.InvalidArg($"offset {range.Offset} is beyond the end of volume '{image.Name}' ({size} bytes)");
        ulong length = size - range.Offset;
        if (range.Length != 0) length = Math.Min(length, range.Length);
        ulong end = range.Offset + length;
        bool seekOverHoles = range.Sparse && destination.CanSeek;
        long start = seekOverHoles ? destination.Position : 0;
        byte[] buffer = new byte[Chunk];
        ulong position = range.Offset;
        void Skip(ulong upTo)
        {
            if (upTo <= position) return;
            if (seekOverHoles) destination.Seek((long)(upTo - position), SeekOrigin.Current);
            else WriteZeros(destination, upTo - position, buffer);
            position = upTo;
            progress?.Invoke((long)(position - range.Offset), (long)length);
        }

        // The data chunks in order; a window of them is read in parallel (librbd serves one image from many threads),
        // since one 4 MiB read at a time leaves the OSDs idle between round trips.
        var pieces = new List<(ulong At, int Length)>();
        foreach (var (extentOffset, extentLength) in image.DataExtents(range.Offset, length, includeParent: true))
        {
            ulong from = Math.Max(extentOffset, range.Offset), to = Math.Min(extentOffset + extentLength, end);
            if (pieces.Count > 0) from = Math.Max(from, pieces[^1].At + (ulong)pieces[^1].Length);
            for (ulong at = from; at < to; at += Chunk)
                pieces.Add((at, (int)Math.Min(Chunk, to - at)));
        }
        var window = new byte[Window][];
        for (int first = 0; first < pieces.Count; first += Window)
        {
            cancel.ThrowIfCancellationRequested();
            int count = Math.Min(Window, pieces.Count - first);
            InParallel(count, j =>
            {
                var (at, chunk) = pieces[first + j];
                var span = (window[j] ??= new byte[Chunk]).AsSpan(0, chunk);
                int read = image.Read(at, span);
                if (read < chunk) span[Math.Max(read, 0)..].Clear();
            });
            for (int j = 0; j < count; j++)
            {
                var (at, chunk) = pieces[first + j];
                Skip(at);
                var span = window[j].AsSpan(0, chunk);
                if (!seekOverHoles) destination.Write(span);
                else
                    for (int i = 0; i < chunk; i += ZeroBlock)
                    {
                        var block = span.Slice(i, Math.Min(ZeroBlock, chunk - i));
                        if (block.ContainsAnyExcept((byte)0)) destination.Write(block);
                        else destination.Seek(block.Length, SeekOrigin.Current);
                    }
                position = at + (ulong)chunk;
                progress?.Invoke((long)(position - range.Offset), (long)length);
            }
        }
        Skip(end);
        if (seekOverHoles && destination.Length < start + (long)length) destination.SetLength(start + (long)length);
        destination.Flush();
    }

    /// <summary>libvirt's rbd wipe: object-set-sized steps (object size × stripe count) of zeros or discards.</summary>
    public static void Wipe(RbdImage image, bool trim, ByteProgress? progress, CancellationToken cancel)
    {
        var stat = image.Stat();
        ulong step = Math.Max(1, stat.ObjectSize * Math.Max(1, image.StripeCount()));
        byte[] zeros = trim ? [] : new byte[step];
        for (ulong offset = 0; offset < stat.Size;)
        {
            cancel.ThrowIfCancellationRequested();
            ulong length = Math.Min(stat.Size - offset, step);
            if (trim) image.Discard(offset, length);
            else image.Write(offset, zeros.AsSpan(0, (int)length));
            offset += length;
            progress?.Invoke((long)offset, (long)stat.Size);
        }
        image.Flush();
    }

    /// <summary>Writes the chunk; with <paramref name="sparse"/>, runs of zero blocks are discarded so stale data never shows.</summary>
    private static void WriteChunk(RbdImage image, ReadOnlySpan<byte> data, ulong at, bool sparse)
    {
        if (!sparse)
        {
            if (data.Length > 0) image.Write(at, data);
            return;
        }
        for (int i = 0; i < data.Length;)
        {
            bool zero = !data.Slice(i, Math.Min(ZeroBlock, data.Length - i)).ContainsAnyExcept((byte)0);
            int runEnd = i + ZeroBlock;
            while (runEnd < data.Length && !data.Slice(runEnd, Math.Min(ZeroBlock, data.Length - runEnd)).ContainsAnyExcept((byte)0) == zero)
                runEnd += ZeroBlock;
            runEnd = Math.Min(runEnd, data.Length);
            if (zero) image.Discard(at + (ulong)i, (ulong)(runEnd - i));
            else image.Write(at + (ulong)i, data[i..runEnd]);
            i = runEnd;
        }
    }

    /// <summary>
    /// Parallel.For that fails with a StorageException itself, not an AggregateException around it. When a chunk timed
    /// out, the others that were in flight fail too — their image handle was abandoned under them
    /// (ObjectDisposedException) or they timed out as well — so the timeout is the error reported, whichever came first.
    /// </summary>
    internal static void InParallel(int count, Action<int> body)
    {
        try
        {
            Parallel.For(0, count, body);
        }
        catch (AggregateException e)
        {
            var failures = e.Flatten().InnerExceptions;
            var chosen = failures.OfType<StorageException>().FirstOrDefault(f => f.Code == ErrorCode.OperationTimeout)
                ?? failures.OfType<StorageException>().FirstOrDefault();
            if (chosen is null) throw;
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(chosen).Throw();
        }
    }

    private static void WriteZeros(Stream destination, ulong count, byte[] buffer)
    {
        Array.Clear(buffer);
        while (count > 0)
        {
            int n = (int)Math.Min((ulong)buffer.Length, count);
            destination.Write(buffer, 0, n);
            count -= (ulong)n;
        }
    }

    /// <summary>Fills the buffer unless the stream ends first (pipes deliver data in pieces).</summary>
    private static int ReadBlock(Stream source, Span<byte> buffer) => source.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
}
