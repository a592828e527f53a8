using System.Globalization;
using KvmStor.Model;

namespace KvmStor.Backends.IscsiDirect;

/// <summary>
/// Where an iSCSI target lives and how libvirt names what it offers: the portal "host:port" (IPv6 hosts in brackets,
/// port 3260 by default) and, per LUN, the volume name unit:0:0:LUN and the key/path ip-PORTAL-iscsi-IQN-lun-LUN.
/// </summary>
public sealed record IscsiPortal(string Host, int Port)
{
    public const int DefaultPort = 3260;
    public const string VolumeNamePrefix = "unit:0:0:";

    public static IscsiPortal From(PoolSourceHost host) => new(host.Name, host.Port ?? DefaultPort);

    /// <summary>The single &lt;host&gt; of a pool source (libvirt's rule for iSCSI pools).</summary>
    public static IscsiPortal Of(PoolSource source) => source.Hosts.Count == 1
        ? From(source.Hosts[0])
        : throw StorageException.Internal("Expected exactly 1 host for the storage pool");

    public override string ToString() =>
        (Host.Contains(':') ? $"[{Host}]" : Host) + ":" + Port.ToString(CultureInfo.InvariantCulture);

    public static string VolumeName(int lun) => VolumeNamePrefix + lun.ToString(CultureInfo.InvariantCulture);

    /// <summary>The LUN a volume name unit:0:0:N stands for, or null for any other name.</summary>
    public static int? LunOf(string volumeName) =>
        volumeName.StartsWith(VolumeNamePrefix, StringComparison.Ordinal)
        && int.TryParse(volumeName.AsSpan(VolumeNamePrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int lun)
            ? lun : null;

    public string VolumeKey(string targetIqn, int lun) =>
        $"ip-{this}-iscsi-{targetIqn}-lun-{lun.ToString(CultureInfo.InvariantCulture)}";
}
