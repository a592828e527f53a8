using KvmStor.Host;
using KvmStor.Model;
using Microsoft.Win32.SafeHandles;

namespace KvmStor.Images;

/// <summary>
/// vol-upload and vol-download's data path between a stream and a volume. With <c>sparse</c>, zero runs become
/// holes: on upload they are punched (so stale volume data never shows through), on download the output file
/// is seeked over and sized at the end.
/// </summary>
public static class SparseStreamTransfer
{
    private const int DefaultBufferSize = 4 << 20;

    /// <summary>
    /// Writes <paramref name="source"/> into <paramref name="target"/> from <paramref name="offset"/>. With a
    /// <paramref name="length"/>, a longer stream fails like libvirt ("cannot write to stream: No space left on
    /// device") after writing the first <paramref name="length"/> bytes. Returns the bytes taken from the stream.
    /// Each chunk is written on another thread while the next one is read (two buffers): a stream fed by a client
    /// keeps flowing while the disk takes the previous chunk. The writes still happen one at a time and in order.
    /// </summary>
    public static long Upload(Stream source, SafeFileHandle target, long offset, long? length, bool sparse,
        ByteProgress? progress = null, CancellationToken cancel = default, int bufferSize = DefaultBufferSize)
    {
        int size = Math.Clamp(bufferSize, 64 << 10, 32 << 20);
        byte[] reading = new byte[size], writing = new byte[size];
        long limit = length ?? long.MaxValue, done = 0, total = length ?? (source.CanSeek ? source.Length - source.Position : -1);
        bool regular = FileSystem.Stat(target).Kind == FileKind.Regular;
        // Known size: extend first so every write lands inside EOF (no xfs preallocation past EOF to leak in).
        if (sparse && regular && total > 0 && RandomAccess.GetLength(target) < offset + total)
            FileSystem.Truncate(target, offset + total);
        Task? write = null;
        try
        {
            while (true)
            {
                cancel.ThrowIfCancellationRequested();
                int want = (int)Math.Min(reading.Length, Math.Max(limit - done, 1));
                int n = ReadBlock(source, reading.AsSpan(0, want));
                // The previous chunk is written (or its error thrown) before anything else happens.
                if (write is not null)
                {
                    write.GetAwaiter().GetResult();
                    write = null;
                    progress?.Invoke(done, total);
                }
                if (n == 0) break;
                if (done + n > limit)
                {
                    int fits = (int)(limit - done);
                    WriteChunk(target, reading.AsSpan(0, fits), offset + done, sparse, regular);
                    throw StorageException.System("cannot write to stream", Errno.ENOSPC);
                }
                (reading, writing) = (writing, reading);
                byte[] chunk = writing;
                long at = offset + done;
                write = Task.Run(() =>
                {
                    WriteChunk(target, chunk.AsSpan(0, n), at, sparse, regular);
                    // The disk writes this chunk while the next one arrives, instead of all of them in the final sync.
                    if (regular) FileSystem.StartWriteback(target, at, n);
                }, CancellationToken.None);
                done += n;
            }
        }
        finally
        {
            // Never return (or throw) with a write still running on the caller's handle.
            if (write is not null) try { write.Wait(CancellationToken.None); } catch (AggregateException) { }
        }
        // A trailing hole must still count towards the file's size.
        if (regular && RandomAccess.GetLength(target) < offset + done) FileSystem.Truncate(target, offset + done);
        FileSystem.DataSync(target);
        return done;
    }

    /// <summary>
    /// Reads [offset, offset+length) of <paramref name="source"/> into <paramref name="destination"/>. With
    /// <paramref name="sparse"/> and a seekable destination, holes and zero blocks are skipped, not written.
    /// </summary>
    public static void Download(SafeFileHandle source, long offset, long length, Stream destination, bool sparse,
        ByteProgress? progress = null, CancellationToken cancel = default, int bufferSize = DefaultBufferSize)
    {
        byte[] buffer = new byte[Math.Clamp(bufferSize, 64 << 10, 32 << 20)];
        bool skipZeros = sparse && destination.CanSeek;
        long start = skipZeros ? destination.Position : 0, done = 0;
        if (skipZeros && destination.Length < start + length) destination.SetLength(start + length);
        while (done < length)
        {
            cancel.ThrowIfCancellationRequested();
            int chunk = (int)Math.Min(buffer.Length, length - done);
            var span = buffer.AsSpan(0, chunk);
            int read = 0;
            while (read < chunk)
            {
                int n = RandomAccess.Read(source, span[read..], offset + done + read);
                if (n <= 0) { span[read..].Clear(); read = chunk; break; } // past the end of a short file: zeros
                read += n;
            }
            if (!skipZeros) destination.Write(span);
            else
                for (int i = 0; i < chunk; i += ZeroScanBlock)
                {
                    var block = span.Slice(i, Math.Min(ZeroScanBlock, chunk - i));
                    if (block.ContainsAnyExcept((byte)0)) destination.Write(block);
                    else destination.Seek(block.Length, SeekOrigin.Current);
                }
            done += chunk;
            progress?.Invoke(done, length);
        }
        destination.Flush();
    }

    /// <summary>Fills the buffer unless the stream ends first (pipes deliver data in pieces).</summary>
    private static int ReadBlock(Stream source, Span<byte> buffer) => source.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);

    /// <summary>Granularity at which zero runs are detected.</summary>
    private const int ZeroScanBlock = 4096; // libvirt seeks over all-zero 4 KiB blocks too

    private static void WriteChunk(SafeFileHandle target, ReadOnlySpan<byte> data, long at, bool sparse, bool regular)
    {
        if (!sparse || !regular)
        {
            RandomAccess.Write(target, data, at);
            return;
        }
        for (int i = 0; i < data.Length;)
        {
            bool zero = IsZeroBlock(data, i);
            int runEnd = i + ZeroScanBlock;
            while (runEnd < data.Length && IsZeroBlock(data, runEnd) == zero) runEnd += ZeroScanBlock;
            runEnd = Math.Min(runEnd, data.Length);
            if (zero) MakeHole(target, at + i, runEnd - i);
            else RandomAccess.Write(target, data[i..runEnd], at + i);
            i = runEnd;
        }
    }

    private static bool IsZeroBlock(ReadOnlySpan<byte> data, int at)
        => !data.Slice(at, Math.Min(ZeroScanBlock, data.Length - at)).ContainsAnyExcept((byte)0);

    /// <summary>Makes a range read as zeros without allocating: punch it, or write zeros where punching is impossible.</summary>
    private static void MakeHole(SafeFileHandle target, long at, int length)
    {
        long size = RandomAccess.GetLength(target);
        if (at >= size) return; // past the end: the final truncate leaves a hole there
        int inside = (int)Math.Min(length, size - at);
        if (!FileSystem.TryPunchHole(target, at, inside)) RandomAccess.Write(target, new byte[inside], at);
    }
}
