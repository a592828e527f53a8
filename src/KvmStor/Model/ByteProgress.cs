namespace KvmStor.Model;

/// <summary>Progress of a long copy, transfer or wipe: bytes done out of the total.</summary>
public delegate void ByteProgress(long done, long total);
