namespace KvmStor.Images.Qcow2;

/// <summary>What a probe learns from a qcow2 header without opening the image for I/O.</summary>
public sealed record Qcow2HeaderInfo
{
    public required int Version { get; init; }
    /// <summary>"0.10" for version 2, "1.1" for version 3 (as qemu-img info prints it).</summary>
    public string Compat => Version == 2 ? "0.10" : "1.1";
    public required long VirtualSize { get; init; }
    public required int ClusterBits { get; init; }
    public int ClusterSize => 1 << ClusterBits;
    public string? BackingFile { get; init; }
    public string? BackingFormat { get; init; }
    public bool LazyRefcounts { get; init; }
    public bool ExtendedL2 { get; init; }
    /// <summary>Refcounts may be stale (lazy refcounts in use when the writer stopped).</summary>
    public bool Dirty { get; init; }
    public bool Corrupt { get; init; }
    public bool Encrypted { get; init; }
    public int RefcountBits { get; init; }
    public int Snapshots { get; init; }
    public ulong IncompatibleFeatures { get; init; }
    public ulong CompatibleFeatures { get; init; }

    internal static Qcow2HeaderInfo From(Qcow2Header h) => new()
    {
        Version = (int)h.Version,
        VirtualSize = (long)h.Size,
        ClusterBits = h.ClusterBits,
        BackingFile = h.BackingFile,
        BackingFormat = h.BackingFormat,
        LazyRefcounts = (h.CompatibleFeatures & Qcow2Format.CompatLazyRefcounts) != 0,
        ExtendedL2 = h.ExtendedL2,
        Dirty = (h.IncompatibleFeatures & Qcow2Format.IncompatDirty) != 0,
        Corrupt = (h.IncompatibleFeatures & Qcow2Format.IncompatCorrupt) != 0,
        Encrypted = h.CryptMethod != 0,
        RefcountBits = 1 << h.RefcountOrder,
        Snapshots = (int)h.NbSnapshots,
        IncompatibleFeatures = h.IncompatibleFeatures,
        CompatibleFeatures = h.CompatibleFeatures,
    };
}
