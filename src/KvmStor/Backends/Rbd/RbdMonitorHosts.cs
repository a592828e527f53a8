using System.Net;
using System.Net.Sockets;
using KvmStor.Model;

namespace KvmStor.Backends.Rbd;

/// <summary>
/// librados' mon_host as libvirt forms it from the pool's &lt;host&gt; entries: "name," or "name:port," each (IPv6
/// addresses with a port in brackets). A host without a port lets librados try both messenger ports (3300, 6789).
/// </summary>
internal static class RbdMonitorHosts
{
    public static string Format(IReadOnlyList<PoolSourceHost> hosts)
    {
        if (hosts.Count == 0) throw StorageException.Xml("missing storage pool source host name");
        var text = new System.Text.StringBuilder();
        foreach (var host in hosts)
        {
            if (host.Port is not { } port) text.Append(host.Name).Append(',');
            else if (IPAddress.TryParse(host.Name, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6)
                text.Append('[').Append(host.Name).Append("]:").Append(port).Append(',');
            else text.Append(host.Name).Append(':').Append(port).Append(',');
        }
        return text.ToString();
    }
}
