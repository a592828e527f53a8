namespace KvmStor.Model;

// The options of vol-create / vol-clone, vol-resize and vol-delete, as the engine and the backends receive them.

[Flags]
public enum VolumeCreateFlags
{
    None = 0,
    /// <summary>vol-create --prealloc-metadata.</summary>
    PreallocMetadata = 1,
    /// <summary>vol-clone / vol-create-from --reflink: share extents or fail.</summary>
    Reflink = 2,
    /// <summary>vol-clone / vol-create-from: copy the data even where the pool could share it (rbd: no copy-on-write clone).</summary>
    FullCopy = 4,
}

[Flags]
public enum VolumeResizeFlags
{
    None = 0,
    Allocate = 1,
    Delta = 2,
    Shrink = 4,
}

[Flags]
public enum VolumeDeleteFlags
{
    None = 0,
    DeleteSnapshots = 2,
}
