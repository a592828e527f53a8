using System.Globalization;
using KvmStor.Model;

namespace KvmStor.Backends.Scsi;

/// <summary>
/// Turns a pool's &lt;adapter&gt; into the SCSI host number it names: scsi_host by name, scsi_host by PCI parent address and
/// unique_id, or fc_host by WWNN/WWPN. Errors carry libvirt's texts.
/// </summary>
public sealed class ScsiAdapterResolver(ScsiHosts scsiHosts, FcHosts fcHosts)
{
    public uint Resolve(PoolAdapter? adapter)
    {
        if (adapter is null) throw StorageException.Xml("missing storage pool source adapter");
        if (adapter.Kind == AdapterKind.FcHost)
            return fcHosts.FindByWwn(adapter.Wwnn!, adapter.Wwpn!)
                ?? throw StorageException.Xml($"Failed to find SCSI host with wwnn='{adapter.Wwnn}', wwpn='{adapter.Wwpn}'");
        if (adapter.ParentAddress is { } pci)
        {
            string address = PciText(pci);
            uint uniqueId = uint.Parse(adapter.ParentUniqueId ?? "0", CultureInfo.InvariantCulture);
            return scsiHosts.FindByPci(address, uniqueId)
                ?? throw StorageException.Xml($"Failed to find scsi_host using PCI '{address}' and unique_id='{uniqueId}'");
        }
        return ScsiHostName.Parse(adapter.Name ?? throw StorageException.Xml("Either 'name' or 'parent' must be specified for the 'scsi_host' adapter"));
    }

    /// <summary>The host, or null for an fc_host whose vHBA does not exist (yet); other lookups still fail loudly.</summary>
    public uint? TryResolve(PoolAdapter? adapter) =>
        adapter is { Kind: AdapterKind.FcHost } ? fcHosts.FindByWwn(adapter.Wwnn!, adapter.Wwpn!) : Resolve(adapter);

    /// <summary>The address as sysfs spells it in device paths: "dddd:bb:ss.f" in lower-case hex.</summary>
    public static string PciText(PciAddress pci) =>
        $"{Hex(pci.Domain):x4}:{Hex(pci.Bus):x2}:{Hex(pci.Slot):x2}.{Hex(pci.Function):x1}";

    private static uint Hex(string text) =>
        text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? uint.Parse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture)
            : uint.Parse(text, CultureInfo.InvariantCulture);
}
