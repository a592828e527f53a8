using KvmStor.Model;

namespace KvmStor.Backends.Scsi;

/// <summary>
/// Creates and deletes the virtual HBA (NPIV vport) behind an fc_host adapter through sysfs, as libvirt's node-device
/// driver does: the parent is the adapter's 'parent', else the HBA with parent_wwnn/parent_wwpn, else the HBA on
/// parent_fabric_wwn, else any online NPIV-capable HBA with a free vport.
/// </summary>
public sealed class VhbaManager(ScsiHosts scsiHosts, FcHosts fcHosts, TimeSpan appearTimeout)
{
    /// <summary>
    /// Makes sure the adapter's vHBA exists. Returns true when this call created it (the pool then manages it), false
    /// when it already existed. Everything is checked before anything is written.
    /// </summary>
    public bool Ensure(PoolAdapter adapter)
    {
        string wwnn = adapter.Wwnn!, wwpn = adapter.Wwpn!;
        if (fcHosts.FindByWwn(wwnn, wwpn) is { } existing)
        {
            // The WWNs must belong to a vHBA: a physical HBA's own names are a configuration error.
            if (fcHosts.IsVportCapable(existing))
                throw StorageException.Unsupported($"the wwnn/wwpn for '{ScsiHostName.Directory(existing)}' are assigned to an HBA");
            if (adapter.Parent is { } parentName) CheckParent(existing, parentName);
            return false;
        }

        uint parent = FindParent(adapter);
        fcHosts.ManageVport(parent, wwpn, wwnn, create: true);
        var deadline = DateTime.UtcNow + appearTimeout;
        while (fcHosts.FindByWwn(wwnn, wwpn) is null)
        {
            if (DateTime.UtcNow >= deadline)
            {
                try { fcHosts.ManageVport(parent, wwpn, wwnn, create: false); } catch (StorageException) { }
                throw StorageException.Internal(
                    $"vHBA with wwnn='{wwnn}', wwpn='{wwpn}' did not appear under {ScsiHostName.Directory(parent)} within {appearTimeout.TotalSeconds:0.#} s");
            }
            Thread.Sleep(50);
        }
        return true;
    }

    /// <summary>Deletes the adapter's vHBA through its parent; a host with no vHBA parent (a plain HBA) is left alone.</summary>
    public void Delete(PoolAdapter adapter)
    {
        string wwnn = adapter.Wwnn!, wwpn = adapter.Wwpn!;
        uint host = fcHosts.FindByWwn(wwnn, wwpn)
            ?? throw StorageException.Internal($"Failed to find fc_host for wwnn='{wwnn}' and wwpn='{wwpn}'");
        uint parent;
        if (adapter.Parent is { } parentName)
        {
            if (parentName == "scsi_" + ScsiHostName.Directory(host)) return;
            parent = ScsiHostName.Parse(parentName);
        }
        else if (scsiHosts.VportParent(host) is { } found)
            parent = found;
        else
            return;
        fcHosts.ManageVport(parent, wwpn, wwnn, create: false);
    }

    private uint FindParent(PoolAdapter adapter)
    {
        if (adapter.Parent is { } name)
        {
            uint parent = ScsiHostName.Parse(name);
            if (!fcHosts.Exists(parent)) throw StorageException.Xml($"parent '{name}' specified for vHBA does not exist");
            return parent;
        }
        if (adapter.ParentWwnn is not null && adapter.ParentWwpn is not null)
            return fcHosts.FindByWwn(adapter.ParentWwnn, adapter.ParentWwpn)
                ?? throw StorageException.Xml("cannot find parent using provided wwnn/wwpn");
        if (adapter.ParentFabricWwn is not null)
            return fcHosts.FindByFabric(adapter.ParentFabricWwn)
                ?? throw StorageException.Xml("cannot find parent using provided fabric_wwn");
        return fcHosts.FindVportHost()
            ?? throw StorageException.Xml("'parent' for vHBA not specified, and cannot find one on this host");
    }

    private void CheckParent(uint vhba, string parentName)
    {
        if (!ScsiHostName.TryParse(parentName, out uint parent))
            throw StorageException.Xml($"parent '{parentName}' is not properly formatted");
        if (!fcHosts.Exists(parent))
            throw StorageException.Unsupported($"parent '{parentName}' is not an fc_host for the wwnn/wwpn");
        uint? actual = scsiHosts.VportParent(vhba);
        if (actual != parent)
        {
            string actualName = actual is { } a ? "scsi_" + ScsiHostName.Directory(a) : "(none)";
            throw StorageException.Xml(
                $"Parent attribute '{parentName}' does not match parent '{actualName}' determined for the '{ScsiHostName.Directory(vhba)}' wwnn/wwpn lookup.");
        }
    }
}
