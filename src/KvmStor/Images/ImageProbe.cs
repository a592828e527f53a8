namespace KvmStor.Images;

/// <summary>
/// What an image header says about itself. Null members mean "the header does not say"
/// (e.g. Capacity is null for raw, iso, dmg and cloop: their size is the file's size).
/// </summary>
public sealed record ImageProbe
{
    /// <summary>libvirt's format name: raw, qcow, qcow2, qed, vmdk, vdi, vpc, iso, bochs, cloop, dmg, cow, ploop, dir.</summary>
    public required string Format { get; init; }
    /// <summary>Virtual size in bytes as the header records it.</summary>
    public ulong? Capacity { get; init; }
    /// <summary>Backing file as written in the header, not resolved.</summary>
    public string? BackingPath { get; init; }
    /// <summary>Backing format the header names (qcow2 extension, qed no-probe flag, vmdk); null when it leaves it to probing.</summary>
    public string? BackingFormat { get; init; }
    /// <summary>qcow2 only: "0.10" for version 2, "1.1" for version 3.</summary>
    public string? Compat { get; init; }
    /// <summary>qcow2 only: 1 &lt;&lt; cluster_bits.</summary>
    public ulong? ClusterSize { get; init; }
    /// <summary>qcow2 v3 only: lazy_refcounts, extended_l2 (empty list when v3 sets none; null for v2 and other formats).</summary>
    public IReadOnlyList<string>? Features { get; init; }
    /// <summary>Encryption the header declares: "qcow" (legacy AES) or "luks"; null when clear.</summary>
    public string? EncryptionFormat { get; init; }

    public static ImageProbe Raw { get; } = new() { Format = "raw" };
}
