using System.Security.Cryptography;
using System.Text;

namespace KvmStor.Backends.Iscsi;

/// <summary>
/// The iscsiadm interface ("iface") that carries a pool's own initiator IQN (&lt;initiator&gt;&lt;iqn name=…/&gt;):
/// found by its initiator name in "iscsiadm --mode iface", created when missing, as libvirt does.
/// </summary>
internal sealed class IscsiInterfaces(IscsiAdm iscsiadm)
{
    /// <summary>The interface whose initiator name is <paramref name="initiatorIqn"/>, or null.</summary>
    public string? Find(string initiatorIqn) => Parse(iscsiadm.ListInterfacesOutput(), initiatorIqn);

    /// <summary>
    /// The interface for <paramref name="initiatorIqn"/>, created when missing; a new interface is followed by a
    /// persistent SendTargets discovery through it, which writes the node records iscsiadm needs to log in with it.
    /// </summary>
    public string Ensure(string initiatorIqn, string portal)
    {
        if (Find(initiatorIqn) is { } existing) return existing;
        iscsiadm.CreateInterface(NameFor(initiatorIqn), initiatorIqn);
        string created = Find(initiatorIqn)
            ?? throw StorageException.Internal($"Failed to create an iSCSI interface with IQN '{initiatorIqn}'");
        iscsiadm.DiscoverTargets(portal, persist: true, created);
        return created;
    }

    /// <summary>
    /// The interface name for an initiator: libvirt picks 8 random hex digits; kvmstor derives them from the IQN, so
    /// a retried start reuses the name and argv are reproducible.
    /// </summary>
    public static string NameFor(string initiatorIqn) =>
        "kvmstor-iface-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(initiatorIqn)), 0, 4);

    /// <summary>
    /// Reads lines "name transport,hwaddress,ipaddress,netdev,initiatorname" (e.g.
    /// "default tcp,&lt;empty&gt;,&lt;empty&gt;,&lt;empty&gt;,&lt;empty&gt;") and returns the name whose initiator matches.
    /// </summary>
    public static string? Parse(string output, string initiatorIqn)
    {
        foreach (var line in output.Split('\n'))
        {
            if (line.Length == 0) continue;
            int space = line.IndexOf(' ');
            var fields = space < 0 ? [] : line[(space + 1)..].Split(',', 5);
            if (fields.Length != 5) throw StorageException.Internal($"malformed output of {IscsiAdm.Program}: {line}");
            if (fields[4] == initiatorIqn) return line[..space];
        }
        return null;
    }
}
