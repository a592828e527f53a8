using KvmStor.Host;
using Microsoft.Win32.SafeHandles;

namespace KvmStor.Images;

/// <summary>
/// Copies files and device ranges without filling holes: a reflink when allowed and possible; otherwise
/// only the data extents (SEEK_DATA/SEEK_HOLE), moved by copy_file_range, or by read/write with one bounded
/// buffer when the kernel cannot or when all-zero blocks must become holes too.
/// </summary>
public static class SparseCopy
{
    /// <summary>Copies a whole file to a new (or truncated) file at <paramref name="targetPath"/>, keeping holes.</summary>
    public static void CopyFile(string sourcePath, string targetPath, SparseCopyOptions? options = null, CancellationToken cancel = default)
    {
        using var source = File.OpenHandle(sourcePath, FileMode.Open, FileAccess.Read);
        using var target = File.OpenHandle(targetPath, FileMode.Create, FileAccess.ReadWrite);
        CopyFile(source, sourcePath, target, options, cancel);
    }

    /// <summary>Copies a whole open file into an open, empty file, keeping holes (a reflink when allowed and possible).</summary>
    public static void CopyFile(SafeFileHandle source, string sourcePath, SafeFileHandle target, SparseCopyOptions? options = null,
        CancellationToken cancel = default)
    {
        options ??= new SparseCopyOptions();
        long length = RandomAccess.GetLength(source);

        if (options.Reflink != ReflinkMode.Never && TryClone(source, target, sourcePath, options.Reflink == ReflinkMode.Always))
        {
            options.Progress?.Invoke(length, length);
            return;
        }
        CopyRange(source, 0, target, 0, length, options with { TargetIsZeroed = true }, cancel);
        FileSystem.DataSync(target);
    }

    private static bool TryClone(SafeFileHandle source, SafeFileHandle target, string sourcePath, bool required)
    {
        try
        {
            FileSystem.Clone(target, source, sourcePath);
            return true;
        }
        catch (FileSystemException e) when (!required && e.Errno is Errno.EOPNOTSUPP or Errno.EXDEV or Errno.EINVAL or FileSystem.ENOTTY)
        {
            return false;
        }
        catch (FileSystemException e)
        {
            throw e.ToStorageException();
        }
    }

    /// <summary>
    /// Copies [sourceOffset, sourceOffset+length) of <paramref name="source"/> to <paramref name="targetOffset"/>
    /// of <paramref name="target"/>. A regular-file target is first extended to cover the range.
    /// </summary>
    public static void CopyRange(SafeFileHandle source, long sourceOffset, SafeFileHandle target, long targetOffset,
        long length, SparseCopyOptions? options = null, CancellationToken cancel = default)
    {
        options ??= new SparseCopyOptions();
        // Size the target first: writes inside EOF keep xfs from preallocating past EOF (which a later
        // size extension would turn into allocated blocks), and a trailing hole needs the size anyway.
        if (FileSystem.Stat(target).Kind == FileKind.Regular && RandomAccess.GetLength(target) < targetOffset + length)
            FileSystem.Truncate(target, targetOffset + length);
        var state = new CopyState(source, target, sourceOffset, targetOffset, length, options, cancel);
        long end = sourceOffset + length;
        long position = sourceOffset;
        while (position < end)
        {
            cancel.ThrowIfCancellationRequested();
            var (dataStart, dataEnd) = NextDataExtent(source, position, end);
            if (dataStart > position) state.Hole(position, dataStart - position);
            if (dataStart >= end) break;
            state.Data(dataStart, dataEnd - dataStart);
            position = dataEnd;
        }
    }

    /// <summary>The next data extent at or after <paramref name="position"/>, clipped to <paramref name="end"/>.</summary>
    private static (long Start, long End) NextDataExtent(SafeFileHandle source, long position, long end)
    {
        long? data;
        try
        {
            data = FileSystem.SeekData(source, position);
        }
        catch (FileSystemException e) when (e.Errno is Errno.EINVAL or Errno.EOPNOTSUPP)
        {
            return (position, end); // no hole support: everything is data
        }
        if (data is null || data >= end) return (end, end);
        long hole = FileSystem.SeekHole(source, data.Value);
        return (data.Value, Math.Min(hole, end));
    }

    /// <summary>Granularity at which zero blocks are detected and left as holes.</summary>
    private const int ZeroScanBlock = 4096; // libvirt seeks over all-zero 4 KiB blocks too

    /// <summary>The running copy: one buffer, the progress count and the way bytes move.</summary>
    private sealed class CopyState(SafeFileHandle source, SafeFileHandle target, long sourceBase, long targetBase,
        long total, SparseCopyOptions options, CancellationToken cancel)
    {
        private byte[]? _buffer, _zeros;
        private bool _kernelCopy = !options.SkipZeroBlocks;
        private long _done;

        private long TargetOf(long sourceOffset) => targetBase + (sourceOffset - sourceBase);

        public void Hole(long sourceOffset, long length)
        {
            if (!options.TargetIsZeroed) ZeroTarget(TargetOf(sourceOffset), length);
            Advance(length);
        }

        public void Data(long sourceOffset, long length)
        {
            long end = sourceOffset + length;
            while (sourceOffset < end)
            {
                cancel.ThrowIfCancellationRequested();
                long chunk = Math.Min(end - sourceOffset, options.EffectiveBufferSize);
                if (_kernelCopy)
                {
                    long copied = FileSystem.TryCopyRange(source, sourceOffset, target, TargetOf(sourceOffset), chunk);
                    if (copied > 0) { sourceOffset += copied; Advance(copied); continue; }
                    if (copied == 0) throw new FileSystemException("cannot copy file range", Errno.EIO); // source shrank
                    _kernelCopy = false; // EXDEV, ENOSYS…: fall back to user space for the rest
                }
                CopyThroughBuffer(sourceOffset, (int)chunk);
                sourceOffset += chunk;
                Advance(chunk);
            }
        }

        private void CopyThroughBuffer(long sourceOffset, int length)
        {
            _buffer ??= new byte[options.EffectiveBufferSize];
            var span = _buffer.AsSpan(0, length);
            int read = 0;
            while (read < length)
            {
                int n = RandomAccess.Read(source, span[read..], sourceOffset + read);
                if (n <= 0) throw new FileSystemException("cannot read source", Errno.EIO);
                read += n;
            }
            if (!options.SkipZeroBlocks)
            {
                RandomAccess.Write(target, span, TargetOf(sourceOffset));
                return;
            }
            // Write runs of non-zero blocks; all-zero blocks become holes.
            for (int at = 0; at < length;)
            {
                bool zero = IsZeroBlock(span, at);
                int runEnd = at + ZeroScanBlock;
                while (runEnd < length && IsZeroBlock(span, runEnd) == zero) runEnd += ZeroScanBlock;
                runEnd = Math.Min(runEnd, length);
                if (!zero) RandomAccess.Write(target, span[at..runEnd], TargetOf(sourceOffset + at));
                else if (!options.TargetIsZeroed) ZeroTarget(TargetOf(sourceOffset + at), runEnd - at);
                at = runEnd;
            }
        }

        private static bool IsZeroBlock(ReadOnlySpan<byte> span, int at)
            => !span.Slice(at, Math.Min(ZeroScanBlock, span.Length - at)).ContainsAnyExcept((byte)0);

        /// <summary>Makes a target range read as zeros: punch a hole, or write zeros where that is impossible.</summary>
        private void ZeroTarget(long offset, long length)
        {
            if (FileSystem.Stat(target).Kind == FileKind.Regular)
            {
                long size = RandomAccess.GetLength(target);
                if (offset >= size) return; // beyond the end already reads as zeros
                if (FileSystem.TryPunchHole(target, offset, Math.Min(length, size - offset))) return;
            }
            _zeros ??= new byte[1 << 20];
            long end = offset + length;
            for (long at = offset; at < end; at += _zeros.Length)
                RandomAccess.Write(target, _zeros.AsSpan(0, (int)Math.Min(_zeros.Length, end - at)), at);
        }

        private void Advance(long bytes)
        {
            _done += bytes;
            options.Progress?.Invoke(_done, total);
        }
    }
}
