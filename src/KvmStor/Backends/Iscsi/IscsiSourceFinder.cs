using KvmStor.Model;
using KvmStor.Xml;

namespace KvmStor.Backends.Iscsi;

/// <summary>
/// find-storage-pool-sources iscsi: a non-persistent SendTargets discovery at the spec's one host (through the
/// interface of its initiator IQN, which must exist), one &lt;source&gt; per target offered.
/// </summary>
internal sealed class IscsiSourceFinder(IscsiAdm iscsiadm, IscsiInterfaces interfaces)
{
    public IReadOnlyList<PoolSource> FindSources(string? sourceSpecXml)
    {
        if (sourceSpecXml is null) throw StorageException.InvalidArg("hostname must be specified for iscsi sources");
        var spec = SourcesXml.ParseSourceSpec(sourceSpecXml, PoolType.Iscsi);
        var host = IscsiPortal.SingleHost(spec) with { Port = IscsiPortal.SingleHost(spec).Port ?? IscsiPortal.DefaultPort };
        iscsiadm.RequireInstalled();
        string? iface = null;
        if (spec.InitiatorIqn is { } iqn)
            iface = interfaces.Find(iqn) ?? throw StorageException.Failed($"no iSCSI interface defined for IQN {iqn}");
        var targets = iscsiadm.DiscoverTargets(IscsiPortal.ArgumentFor(host), persist: false, iface);
        return targets.Select(t => new PoolSource
        {
            Hosts = [host],
            Devices = [new PoolSourceDevice { Path = t }],
            InitiatorIqn = spec.InitiatorIqn,
        }).ToList();
    }
}
