using System.Globalization;
using KvmStor.Model;

namespace KvmStor.Images;

/// <summary>The comma-separated "-o" list of qemu-img create/convert, in libvirt's order.</summary>
internal static class QemuImgCreateOptions
{
    /// <param name="format">the image format after block/iso mapping (raw, qcow2, …)</param>
    /// <param name="backingFormat">backing_fmt when a backing file is passed with -b, else null</param>
    /// <param name="secretAlias">the id of the volume's secret object when it is encrypted, else null</param>
    /// <param name="sizeExceedsAllocation">capacity above allocation (in KiB): metadata rather than falloc</param>
    /// <param name="compat">the compat level to ask for (already defaulted for qcow2), or null</param>
    public static string Build(VolumeTarget target, string format, string? backingFormat, string? secretAlias,
        bool preallocateMetadata, bool sizeExceedsAllocation, string? compat)
    {
        bool isQcow2 = format == "qcow2";
        var o = new List<string>();
        if (backingFormat is not null)
            o.Add("backing_fmt=" + backingFormat);
        if (secretAlias is not null)
            AddEncryption(o, target.Encryption!, secretAlias, isQcow2);
        if (preallocateMetadata)
            o.Add(sizeExceedsAllocation ? "preallocation=metadata" : "preallocation=falloc");
        if (target.NoCow)
            o.Add("nocow=on");
        if (compat is not null)
            o.Add("compat=" + compat);
        if (target.ClusterSize is ulong cluster and > 0)
            o.Add("cluster_size=" + cluster.ToString(CultureInfo.InvariantCulture));
        if (isQcow2 && target.Features is { } features)
        {
            // Checked against the compat level actually requested, so a volume built without <compat> cannot
            // slip a v3-only feature into a v2 image (libvirt checks only an explicit <compat>).
            if (features.Contains("lazy_refcounts"))
            {
                if (compat == "0.10")
                    throw StorageException.Unsupported($"lazy_refcounts not supported with compat level {compat}");
                o.Add("lazy_refcounts");
            }
            if (features.Contains("extended_l2"))
            {
                if (compat == "0.10")
                    throw StorageException.Unsupported($"'extended_l2' not supported with compat level {compat}");
                o.Add("extended_l2=on");
            }
        }
        return string.Join(',', o);
    }

    /// <summary>LUKS options: bare for a LUKS container, under "encrypt." inside a qcow2 image.</summary>
    private static void AddEncryption(List<string> o, VolumeEncryption e, string secretAlias, bool isQcow2)
    {
        string prefix = isQcow2 ? "encrypt." : "";
        if (isQcow2) o.Add("encrypt.format=luks");
        o.Add($"{prefix}key-secret={secretAlias}");
        if (e.CipherName is null) return;
        o.Add($"{prefix}cipher-alg={QemuImgCommand.EscapeComma(e.CipherName)}-{e.CipherSize ?? "0"}");
        if (e.CipherMode is not null) o.Add($"{prefix}cipher-mode={QemuImgCommand.EscapeComma(e.CipherMode)}");
        if (e.CipherHash is not null) o.Add($"{prefix}hash-alg={QemuImgCommand.EscapeComma(e.CipherHash)}");
        if (e.IvgenName is null) return;
        o.Add($"{prefix}ivgen-alg={QemuImgCommand.EscapeComma(e.IvgenName)}");
        if (e.IvgenHash is not null) o.Add($"{prefix}ivgen-hash-alg={QemuImgCommand.EscapeComma(e.IvgenHash)}");
    }
}
