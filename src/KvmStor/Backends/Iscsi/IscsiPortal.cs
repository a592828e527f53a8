using KvmStor.Model;

namespace KvmStor.Backends.Iscsi;

/// <summary>
/// The one portal and target of an iscsi pool, with libvirt's checks on the pool source and its portal argument
/// "host:port,1" ("[v6addr]:port,1"), the default port being 3260.
/// </summary>
internal sealed record IscsiPortal(PoolSourceHost Host, string Target)
{
    public const int DefaultPort = 3260;

    public int Port => Host.Port ?? DefaultPort;

    /// <summary>The --portal argument libvirt passes to iscsiadm.</summary>
    public string Argument => ArgumentFor(Host);

    /// <summary>The pool's portal; libvirt's errors for a source without exactly one host or one device.</summary>
    public static IscsiPortal Of(PoolSource source)
    {
        var host = SingleHost(source);
        if (source.Devices.Count != 1 || string.IsNullOrEmpty(source.Devices[0].Path))
            throw StorageException.Internal("missing source device");
        return new IscsiPortal(host, source.Devices[0].Path);
    }

    public static PoolSourceHost SingleHost(PoolSource source)
    {
        if (source.Hosts.Count != 1)
            throw StorageException.Unsupported("Expected exactly 1 host for the storage pool");
        if (string.IsNullOrEmpty(source.Hosts[0].Name))
            throw StorageException.Internal("missing source host");
        return source.Hosts[0];
    }

    public static string ArgumentFor(PoolSourceHost host)
    {
        int port = host.Port ?? DefaultPort;
        return host.Name.Contains(':') ? $"[{host.Name}]:{port},1" : $"{host.Name}:{port},1";
    }

    /// <summary>The source with its host's port filled in, as libvirt's pool XML shows it once the portal was used.</summary>
    public static PoolSource WithPort(PoolSource source) =>
        source.Hosts.Count == 1 && source.Hosts[0].Port is null
            ? source with { Hosts = [source.Hosts[0] with { Port = DefaultPort }] }
            : source;
}
