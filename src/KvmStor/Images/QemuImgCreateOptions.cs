using System.Globalization;
using KvmStor.Model;

namespace KvmStor.Images;

/// <summary>The comma-separated "-o" list of qemu-img create/convert, in libvirt's order.</summary>
internal static class QemuImgCreateOptions
{
    /// <param name="createFormat">the -f/-O format ("luks" for an encrypted raw volume)</param>
    /// <param name="backingFormat">backing_fmt when a backing file is passed with -b, else null</param>
    /// <param name="secretAlias">the id of the volume's secret object when it is encrypted, else null</param>
    /// <param name="compat">the compat level to ask for (already defaulted for qcow2), or null</param>
    public static string Build(VolumeDefinition vol, string createFormat, bool isQcow2, string? backingFormat,
        string? secretAlias, bool preallocateMetadata, string? compat)
    {
        var target = vol.Target;
        var o = new List<string>();
        if (createFormat == "luks" && secretAlias is not null)
        {
            o.Add("key-secret=" + secretAlias);
            AddCipher(o, target.Encryption!, prefix: "");
        }
        else
        {
            if (backingFormat is not null)
                o.Add("backing_fmt=" + backingFormat);
            if (isQcow2 && secretAlias is not null)
            {
                o.Add("encrypt.format=luks");
                o.Add("encrypt.key-secret=" + secretAlias);
                AddCipher(o, target.Encryption!, prefix: "encrypt.");
            }
        }
        // Metadata preallocation only helps while the image is larger than what is to be allocated.
        if (preallocateMetadata)
            o.Add(vol.Capacity > vol.Allocation ? "preallocation=metadata" : "preallocation=falloc");
        if (target.NoCow)
            o.Add("nocow=on");
        if (compat is not null)
            o.Add("compat=" + compat);
        if (target.ClusterSize is ulong cluster and > 0)
            o.Add("cluster_size=" + cluster.ToString(CultureInfo.InvariantCulture));
        if (isQcow2 && target.Features is { } features)
        {
            if (features.Contains("lazy_refcounts"))
            {
                if (compat == "0.10")
                    throw StorageException.Unsupported($"lazy_refcounts not supported with compat level {compat}");
                o.Add("lazy_refcounts");
            }
            if (features.Contains("extended_l2"))
                o.Add("extended_l2=on");
        }
        return string.Join(',', o);
    }

    private static void AddCipher(List<string> o, VolumeEncryption e, string prefix)
    {
        if (e.CipherName is not null)
        {
            o.Add($"{prefix}cipher-alg={QemuImgCommand.EscapeComma(e.CipherName)}-{e.CipherSize ?? "0"}");
            if (e.CipherMode is not null) o.Add($"{prefix}cipher-mode={e.CipherMode}");
            if (e.CipherHash is not null) o.Add($"{prefix}hash-alg={e.CipherHash}");
        }
        if (e.IvgenName is not null)
        {
            o.Add($"{prefix}ivgen-alg={e.IvgenName}");
            if (e.IvgenHash is not null) o.Add($"{prefix}ivgen-hash-alg={e.IvgenHash}");
        }
    }
}
