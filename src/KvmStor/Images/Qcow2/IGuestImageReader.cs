namespace KvmStor.Images.Qcow2;

/// <summary>Read access to a guest-visible disk image; what a qcow2 image reads through to for unallocated clusters.</summary>
internal interface IGuestImageReader : IDisposable
{
    long VirtualSize { get; }
    /// <summary>Reads guest bytes; the range must lie inside <see cref="VirtualSize"/>.</summary>
    void Read(long guestOffset, Span<byte> buffer);
}
