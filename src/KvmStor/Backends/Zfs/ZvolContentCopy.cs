using KvmStor.Host;
using KvmStor.Images;
using KvmStor.Model;

namespace KvmStor.Backends.Zfs;

/// <summary>
/// Fills a new zvol with a source volume's guest-visible content. A new zvol reads as zeros, so holes and zero blocks
/// of the source are skipped (a sparse zvol stays sparse); image formats are read by qemu-img.
/// </summary>
public static class ZvolContentCopy
{
    public static void Copy(ICommandRunner runner, string sourcePath, string? sourceFormat, long sourceLength, string zvolPath,
        ByteProgress? progress, CancellationToken cancel)
    {
        string format = sourceFormat ?? "raw";
        if (format is not ("raw" or "none"))
        {
            // -n: the zvol exists already; --target-is-zero: it reads as zeros, so zeros need not be written.
            runner.RunChecked(new CommandLine("qemu-img", "convert", "-f", format, "-O", "raw", "-n", "--target-is-zero", sourcePath, zvolPath), cancel);
            return;
        }
        try
        {
            using var input = File.OpenHandle(sourcePath, FileMode.Open, FileAccess.Read);
            using var output = File.OpenHandle(zvolPath, FileMode.Open, FileAccess.ReadWrite);
            var options = new SparseCopyOptions { TargetIsZeroed = true, SkipZeroBlocks = true, Progress = progress };
            SparseCopy.CopyRange(input, 0, output, 0, sourceLength, options, cancel);
            FileSystem.DataSync(output);
        }
        catch (FileSystemException e)
        {
            throw e.ToStorageException();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw StorageException.System($"cannot copy '{sourcePath}' to '{zvolPath}'", Errno.FromException(e));
        }
    }
}
