using KvmStor.Model;

namespace KvmStor.Images;

/// <summary>Whether a whole-file copy may share extents with its source (ioctl FICLONE).</summary>
public enum ReflinkMode
{
    /// <summary>Always copy bytes.</summary>
    Never,
    /// <summary>Clone when the file system can, else copy.</summary>
    Auto,
    /// <summary>Clone or fail ("failed to clone files from '…': Operation not supported"), as vol-clone --reflink.</summary>
    Always,
}

public sealed record SparseCopyOptions
{
    public ReflinkMode Reflink { get; init; } = ReflinkMode.Never;

    /// <summary>Also leave holes where the source has data blocks that are all zero (reads them in user space).</summary>
    public bool SkipZeroBlocks { get; init; }

    /// <summary>
    /// True when the target range already reads as zeros (a new or freshly truncated file), so source holes
    /// can simply be skipped; false makes the copy punch holes (or write zeros) over them.
    /// </summary>
    public bool TargetIsZeroed { get; init; } = true;

    /// <summary>Size of the one buffer the copy uses; clamped to 64 KiB–32 MiB.</summary>
    public int BufferSize { get; init; } = 4 << 20;

    public ByteProgress? Progress { get; init; }

    internal int EffectiveBufferSize => Math.Clamp(BufferSize, 64 << 10, 32 << 20) & ~4095;
}
