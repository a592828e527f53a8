using System.Globalization;
using KvmStor.Model;

namespace KvmStor.Backends.Gluster;

/// <summary>
/// Where a gluster pool lives: host, optional port, volume and directory inside it, and the names libvirt gives
/// its volumes there: key "&lt;volume&gt;&lt;dir&gt;&lt;name&gt;" (e.g. "glvol/sub/disk.img"), path
/// "gluster://host[:port]/&lt;volume&gt;&lt;dir&gt;&lt;name&gt;".
/// </summary>
public sealed record GlusterLocation(string Host, int? Port, string Volume, string Directory)
{
    public const int DefaultPort = 24007;

    /// <summary>Reads and checks the pool's source as libvirt does before connecting.</summary>
    public static GlusterLocation Of(PoolDefinition pool)
    {
        if (pool.Source.Hosts.Count != 1) throw StorageException.Xml("Expected exactly 1 host for the gluster volume");
        string volume = pool.Source.Name ?? throw StorageException.Xml("missing gluster volume name");
        string dir = pool.Source.Dir ?? "/";
        if (!dir.StartsWith('/')) throw StorageException.Xml($"gluster pool dir '{dir}' must start with '/'");
        if (!dir.EndsWith('/')) dir += "/";
        var host = pool.Source.Hosts[0];
        return new GlusterLocation(host.Name, host.Port, volume, dir);
    }

    /// <summary>gluster://host[:port]/volume/dir/ — the pool as libvirt names it in its connection errors.</summary>
    public string PoolUri => $"gluster://{Authority}/{Volume}{Directory}";

    /// <summary>The source a FUSE mount of the pool's directory takes: host:/volume[/dir].</summary>
    public string MountSource => $"{Host}:/{Volume}{Directory.TrimEnd('/')}";

    public string KeyOf(string volumeName) => $"{Volume}{Directory}{volumeName}";

    public string PathOf(string volumeName) => $"gluster://{Authority}/{KeyOf(volumeName)}";

    /// <summary>The volume name a key or gluster:// path of this pool names, or null.</summary>
    public string? NameFrom(string keyOrPath)
    {
        foreach (var prefix in new[] { KeyOf(""), PathOf("") })
            if (keyOrPath.StartsWith(prefix, StringComparison.Ordinal) && keyOrPath.Length > prefix.Length)
            {
                string name = keyOrPath[prefix.Length..];
                return name.Contains('/') ? null : name;
            }
        return null;
    }

    public int PortOrDefault => Port ?? DefaultPort;

    private string Authority => Port is { } p ? $"{BracketedHost}:{p.ToString(CultureInfo.InvariantCulture)}" : BracketedHost;

    private string BracketedHost => Host.Contains(':') ? $"[{Host}]" : Host;
}
