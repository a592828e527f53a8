using System.Globalization;

using KvmStor.Host;

namespace KvmStor.Backends.Scsi;

/// <summary>
/// Fibre Channel hosts under /sys/class/fc_host: lookup by WWNN/WWPN (node_name, port_name) or fabric (fabric_name), the
/// NPIV-capable HBAs (those with vport_create) and creating or deleting a virtual HBA (vHBA) on one of them.
/// </summary>
public sealed class FcHosts(HostRoots roots)
{
    private string ClassDir => roots.SysPath("class/fc_host");

    private string HostDirectory(uint host) => Path.Combine(ClassDir, ScsiHostName.Directory(host));

    public bool Exists(uint host) => Directory.Exists(HostDirectory(host));

    /// <summary>Only a physical NPIV-capable HBA offers vport_create; a vHBA does not.</summary>
    public bool IsVportCapable(uint host) =>
        File.Exists(Path.Combine(HostDirectory(host), "vport_create"))
        || File.Exists(roots.SysPath($"class/scsi_host/{ScsiHostName.Directory(host)}/vport_create"));

    /// <summary>The host whose node_name and port_name are <paramref name="wwnn"/> and <paramref name="wwpn"/>.</summary>
    public uint? FindByWwn(string wwnn, string wwpn)
    {
        string node = SysfsAttribute.NormalizeWwn(wwnn), port = SysfsAttribute.NormalizeWwn(wwpn);
        return Hosts().Cast<uint?>().FirstOrDefault(h =>
            SysfsAttribute.ReadWwn(Path.Combine(HostDirectory(h!.Value), "node_name")) == node
            && SysfsAttribute.ReadWwn(Path.Combine(HostDirectory(h.Value), "port_name")) == port);
    }

    /// <summary>An NPIV-capable HBA attached to the fabric <paramref name="fabricWwn"/> (vHBAs share the fabric name, so they are skipped).</summary>
    public uint? FindByFabric(string fabricWwn)
    {
        string fabric = SysfsAttribute.NormalizeWwn(fabricWwn);
        return Hosts().Cast<uint?>().FirstOrDefault(h =>
            File.Exists(Path.Combine(HostDirectory(h!.Value), "vport_create"))
            && SysfsAttribute.ReadWwn(Path.Combine(HostDirectory(h.Value), "fabric_name")) == fabric);
    }

    /// <summary>The first online NPIV-capable HBA with a free vport slot (npiv_vports_inuse below max_npiv_vports).</summary>
    public uint? FindVportHost()
    {
        foreach (uint h in Hosts())
        {
            string dir = HostDirectory(h);
            if (SysfsAttribute.Read(Path.Combine(dir, "port_state")) != "Online") continue;
            if (!TryReadNumber(Path.Combine(dir, "max_npiv_vports"), out ulong max) || !TryReadNumber(Path.Combine(dir, "npiv_vports_inuse"), out ulong used))
                continue;
            if (used < max) return h;
        }
        return null;
    }

    /// <summary>Writes "wwpn:wwnn" to the parent's vport_create (or vport_delete): the kernel makes or removes the vHBA.</summary>
    public void ManageVport(uint parent, string wwpn, string wwnn, bool create)
    {
        string file = create ? "vport_create" : "vport_delete";
        string path = Path.Combine(HostDirectory(parent), file);
        if (!File.Exists(path))
        {
            path = roots.SysPath($"class/scsi_host/{ScsiHostName.Directory(parent)}/{file}");
            if (!File.Exists(path))
                throw StorageException.Invalid($"vport operation '{file}' is not supported for {ScsiHostName.Directory(parent)}");
        }
        string value = $"{SysfsAttribute.NormalizeWwn(wwpn)}:{SysfsAttribute.NormalizeWwn(wwnn)}";
        SysfsAttribute.Write(path, value, errno =>
            StorageException.System($"Write of '{value}' to '{path}' during vport create/delete failed", errno));
    }

    /// <summary>The fc_host numbers, in numeric order (host10 after host2).</summary>
    private IEnumerable<uint> Hosts()
    {
        if (!Directory.Exists(ClassDir)) return [];
        return Directory.EnumerateFileSystemEntries(ClassDir)
            .Select(e => ScsiHostName.TryParse(Path.GetFileName(e), out uint h) && Path.GetFileName(e).StartsWith("host", StringComparison.Ordinal) ? h : (uint?)null)
            .OfType<uint>().Order().ToList();
    }

    private static bool TryReadNumber(string path, out ulong value)
    {
        value = 0;
        return SysfsAttribute.Read(path) is { } text && ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
