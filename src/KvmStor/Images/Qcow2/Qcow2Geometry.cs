namespace KvmStor.Images.Qcow2;

/// <summary>Sizes derived from cluster_bits: how many entries a table holds and how much each maps.</summary>
internal readonly record struct Qcow2Geometry(int ClusterBits, bool ExtendedL2, int RefcountOrder)
{
    public int ClusterSize => 1 << ClusterBits;
    /// <summary>Bytes per L2 entry: 8, or 16 with extended L2 (entry + subcluster bitmaps).</summary>
    public int L2EntrySize => ExtendedL2 ? 16 : 8;
    public int L2Entries => ClusterSize / L2EntrySize;
    /// <summary>Guest bytes one L2 table maps.</summary>
    public long L2Span => (long)L2Entries << ClusterBits;
    public int SubclusterSize => ExtendedL2 ? ClusterSize / Qcow2Format.SubclustersPerCluster : ClusterSize;
    public int RefcountBits => 1 << RefcountOrder;
    public long RefcountBlockEntries => (long)ClusterSize * 8 / RefcountBits;
    public ulong MaxRefcount => RefcountBits == 64 ? ulong.MaxValue : (1UL << RefcountBits) - 1;

    public static long L1EntriesFor(long virtualSize, int clusterBits, bool extendedL2)
    {
        long span = (long)((1 << clusterBits) / (extendedL2 ? 16 : 8)) << clusterBits;
        return (virtualSize + span - 1) / span;
    }

    public long ClustersFor(long bytes) => (bytes + ClusterSize - 1) >> ClusterBits;
}
