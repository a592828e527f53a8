namespace KvmStor.Engine;

/// <summary>
/// A front-end's argument that names no pool, volume or guest, as virsh reports it: a line of its own
/// (<see cref="Exception.Message"/>, e.g. "failed to get vol 'x'") and, when virsh prints one, the last lookup's
/// reason after it. The line has no prefix, so <see cref="StorageException.Display"/> is the line itself.
/// </summary>
public sealed class LookupFailedException(string line, StorageException? reason = null)
    : StorageException(ErrorCode.None, line, reason)
{
    public StorageException? Reason { get; } = reason;
}
