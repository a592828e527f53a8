using System.Globalization;

using KvmStor.Host;

namespace KvmStor.Backends.Scsi;

/// <summary>
/// The SCSI hosts under /sys/class/scsi_host (the kernel's documented sysfs ABI): whether a host exists, which host sits
/// on a PCI function with a given unique_id, and the rescan trigger.
/// </summary>
public sealed class ScsiHosts(HostRoots roots)
{
    private string ClassDir => roots.SysPath("class/scsi_host");

    public string HostDirectory(uint host) => Path.Combine(ClassDir, ScsiHostName.Directory(host));

    public bool Exists(uint host) => Directory.Exists(HostDirectory(host));

    /// <summary>
    /// The host whose sysfs device path lies under the PCI function <paramref name="pciAddress"/> ("0000:00:1f.2") and whose
    /// unique_id is <paramref name="uniqueId"/> — how a parentaddr adapter survives host renumbering across boots.
    /// </summary>
    public uint? FindByPci(string pciAddress, uint uniqueId)
    {
        if (!Directory.Exists(ClassDir)) return null;
        foreach (var entry in Directory.EnumerateFileSystemEntries(ClassDir).Order(StringComparer.Ordinal))
        {
            var link = new FileInfo(entry);
            if (link.LinkTarget is null) continue;
            string? devicePath = link.ResolveLinkTarget(returnFinalTarget: true)?.FullName;
            if (devicePath is null || !devicePath.Contains(pciAddress, StringComparison.Ordinal)) continue;
            string? id = SysfsAttribute.Read(Path.Combine(entry, "unique_id"));
            if (id is null || !uint.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out uint found) || found != uniqueId)
                continue;
            if (ScsiHostName.TryParse(Path.GetFileName(entry), out uint number)) return number;
        }
        return null;
    }

    /// <summary>Asks the host to scan every channel, target and LUN ("- - -" to its scan attribute).</summary>
    public void TriggerScan(uint host)
    {
        string path = Path.Combine(HostDirectory(host), "scan");
        SysfsAttribute.Write(path, "- - -", errno => errno == Errno.ENOENT || errno == Errno.EACCES
            ? StorageException.System($"Could not open '{path}' to trigger host scan", errno)
            : StorageException.System($"Write to '{path}' to trigger host scan failed", errno));
    }

    /// <summary>
    /// The host a vHBA hangs from: a vHBA's device path is …/hostP/vport-P:0-0/hostN, so the nearest "hostP" above the
    /// vHBA's own directory. Null for a host that is no vHBA (its parent is a PCI function).
    /// </summary>
    public uint? VportParent(uint host)
    {
        var link = new FileInfo(HostDirectory(host));
        string? devicePath = link.LinkTarget is null ? null : link.ResolveLinkTarget(returnFinalTarget: true)?.FullName;
        if (devicePath is null) return null;
        var parts = devicePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        int own = Array.IndexOf(parts, ScsiHostName.Directory(host));
        for (int i = own - 1; i >= 0; i--)
        {
            if (parts[i].StartsWith("vport-", StringComparison.Ordinal)) continue;
            return parts[i].StartsWith("host", StringComparison.Ordinal) && ScsiHostName.TryParse(parts[i], out uint parent) ? parent : null;
        }
        return null;
    }
}
