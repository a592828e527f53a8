using System.Security.Cryptography;
using KvmStor.Host;
using KvmStor.Model;
using Microsoft.Win32.SafeHandles;

namespace KvmStor.Images;

/// <summary>
/// Overwrites a volume's file or block device in place (vol-wipe), pass by pass, syncing after each pass so
/// that every pattern reaches the disk. Zero on a sparse file takes libvirt's shortcut (truncate to 0 and
/// back); zero on a block device asks the device (BLKZEROOUT).
/// </summary>
public static class VolumeWiper
{
    /// <summary>A multiple of 3 (for Gutmann's 3-byte patterns) and of 4096; one buffer per wipe.</summary>
    private const int BufferSize = 3 << 20;

    /// <summary>
    /// Wipes <paramref name="length"/> bytes from the start of <paramref name="path"/> (default: the whole file or
    /// device). libvirt passes a file's allocation here, which is why a wiped qcow2 grows to its allocation.
    /// </summary>
    public static void Wipe(string path, WipeAlgorithm algorithm, long? length = null,
        ByteProgress? progress = null, CancellationToken cancel = default)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
        Wipe(handle, path, algorithm, length, progress, cancel);
    }

    /// <summary>Wipes an open file or device (the caller opened and checked it); <paramref name="path"/> is for messages.</summary>
    public static void Wipe(SafeFileHandle handle, string path, WipeAlgorithm algorithm, long? length = null,
        ByteProgress? progress = null, CancellationToken cancel = default)
    {
        if (algorithm == WipeAlgorithm.Trim)
            throw new StorageException(ErrorCode.ArgumentUnsupported, "'trim' algorithm not supported");
        var status = FileSystem.Stat(handle);
        bool block = status.Kind == FileKind.BlockDevice;
        long size = (long)FileSystem.SizeOf(handle, status);
        long wipeLength = length ?? size;

        if (algorithm == WipeAlgorithm.Zero)
        {
            if (!block && status.Blocks512 < status.Size / 512)
            {
                // Sparse file: dropping every block is a complete zero wipe and keeps the file sparse. Punching one hole
                // over the whole file does it without ever changing the size (libvirt truncates to 0 and back: a crash
                // in between would leave an empty volume).
                if (FileSystem.TryPunchHole(handle, 0, (long)status.Size))
                {
                    FileSystem.DataSync(handle);
                    progress?.Invoke(wipeLength, wipeLength);
                    return;
                }
            }
            if (block && TryZeroOutDevice(handle, wipeLength))
            {
                progress?.Invoke(wipeLength, wipeLength);
                return;
            }
        }

        var passes = WipePasses.For(algorithm);
        long total = wipeLength * passes.Count, done = 0;
        byte[] buffer = new byte[BufferSize];
        foreach (var pass in passes)
        {
            if (!pass.IsRandom) FillPattern(buffer, pass.Pattern!);
            for (long offset = 0; offset < wipeLength; offset += BufferSize)
            {
                cancel.ThrowIfCancellationRequested();
                int chunk = (int)Math.Min(BufferSize, wipeLength - offset);
                if (pass.IsRandom) RandomNumberGenerator.Fill(buffer.AsSpan(0, chunk));
                RandomAccess.Write(handle, buffer.AsSpan(0, chunk), offset);
                done += chunk;
                progress?.Invoke(done, total);
            }
            FileSystem.DataSync(handle);
            if (pass.Verify) VerifyPattern(handle, pass.Pattern!, wipeLength, path, cancel);
        }
    }

    private static bool TryZeroOutDevice(SafeFileHandle handle, long length)
    {
        try
        {
            FileSystem.ZeroOutBlockDevice(handle, 0, (ulong)length);
            return true;
        }
        catch (FileSystemException e) when (e.Errno is Errno.EOPNOTSUPP or Errno.EINVAL or FileSystem.ENOTTY)
        {
            return false; // the device cannot: write the zeros ourselves
        }
    }

    /// <summary>Repeats <paramref name="pattern"/> from the buffer's start; the buffer size keeps the phase across chunks.</summary>
    internal static void FillPattern(Span<byte> buffer, ReadOnlySpan<byte> pattern)
    {
        if (pattern.Length == 1) { buffer.Fill(pattern[0]); return; }
        for (int i = 0; i < buffer.Length; i += pattern.Length)
            pattern[..Math.Min(pattern.Length, buffer.Length - i)].CopyTo(buffer[i..]);
    }

    private static void VerifyPattern(SafeFileHandle handle, byte[] pattern, long length, string path, CancellationToken cancel)
    {
        byte[] expected = new byte[BufferSize], actual = new byte[BufferSize];
        FillPattern(expected, pattern);
        for (long offset = 0; offset < length; offset += BufferSize)
        {
            cancel.ThrowIfCancellationRequested();
            int chunk = (int)Math.Min(BufferSize, length - offset);
            int read = RandomAccess.Read(handle, actual.AsSpan(0, chunk), offset);
            if (read != chunk || !actual.AsSpan(0, chunk).SequenceEqual(expected.AsSpan(0, chunk)))
                throw StorageException.Failed($"wipe verification failed for '{path}' near offset {offset}");
        }
    }
}
