namespace KvmStor.Model;

/// <summary>A byte range of a volume for upload and download; Length 0 means "to the end".</summary>
public readonly record struct TransferRange(ulong Offset, ulong Length, bool Sparse)
{
    /// <summary>
    /// Upload only: let the data grow a raw volume past its capacity (libvirt always does). Without it an upload
    /// must fit between the offset and the capacity.
    /// </summary>
    public bool AllowGrow { get; init; }
}
