namespace KvmStor.Images.Qcow2;

/// <summary>Constants of the published qcow2 on-disk format (all fields big-endian).</summary>
internal static class Qcow2Format
{
    public const uint Magic = 0x514649FB; // "QFI\xfb"
    public const int V2HeaderLength = 72;
    public const int V3HeaderLength = 104;
    public const int MaxBackingFileNameLength = 1023;
    /// <summary>qemu's limit for the virtual size (2^63 - 512 rounded down is far too big to be useful; qemu caps at 2^61).</summary>
    public const long MaxVirtualSize = 1L << 61;
    /// <summary>Upper bounds (qemu's) that also keep our in-memory tables small.</summary>
    public const long MaxL1Bytes = 32L * 1024 * 1024;
    public const long MaxRefcountTableBytes = 8L * 1024 * 1024;

    // Header field offsets.
    public const int OffVersion = 4;
    public const int OffBackingFileOffset = 8;
    public const int OffBackingFileSize = 16;
    public const int OffClusterBits = 20;
    public const int OffSize = 24;
    public const int OffCryptMethod = 32;
    public const int OffL1Size = 36;
    public const int OffL1TableOffset = 40;
    public const int OffRefcountTableOffset = 48;
    public const int OffRefcountTableClusters = 56;
    public const int OffNbSnapshots = 60;
    public const int OffSnapshotsOffset = 64;
    public const int OffIncompatible = 72;
    public const int OffCompatible = 80;
    public const int OffAutoclear = 88;
    public const int OffRefcountOrder = 96;
    public const int OffHeaderLength = 100;
    public const int OffCompressionType = 104;

    // Header extension types.
    public const uint ExtEnd = 0;
    public const uint ExtBackingFormat = 0xE2792ACA;

    // Feature bits.
    public const ulong IncompatDirty = 1UL << 0;
    public const ulong IncompatCorrupt = 1UL << 1;
    public const ulong IncompatExternalData = 1UL << 2;
    public const ulong IncompatCompressionType = 1UL << 3;
    public const ulong IncompatExtendedL2 = 1UL << 4;
    /// <summary>Incompatible features this implementation can open (dirty/corrupt only restrict writing).</summary>
    public const ulong IncompatKnown = IncompatDirty | IncompatCorrupt | IncompatExtendedL2;
    public const ulong CompatLazyRefcounts = 1UL << 0;
    public const ulong AutoclearBitmaps = 1UL << 0;

    // Table entry bits.
    public const ulong OffsetMask = 0x00FF_FFFF_FFFF_FE00UL; // bits 9..55
    public const ulong FlagCopied = 1UL << 63;
    public const ulong FlagCompressed = 1UL << 62;
    public const ulong FlagZero = 1UL << 0;

    public const int SubclustersPerCluster = 32;
}
