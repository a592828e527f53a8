using System.Globalization;
using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.Backends.Sheepdog;

/// <summary>
/// The dog command lines of a sheepdog pool, argument for argument as libvirt's (removed) backend built them: the
/// subcommand first, then "-a host -p port" naming the cluster (libvirt's defaults: localhost, 7000).
/// </summary>
public static class SheepdogCommands
{
    public const string Program = "dog";
    public const string DefaultHost = "localhost";
    public const int DefaultPort = 7000;

    /// <summary>Cluster size and use, raw numbers (bytes).</summary>
    public static CommandLine NodeInfo(PoolDefinition pool) => Dog(pool, "node", "info", "-r");

    /// <summary>Every VDI with its snapshots, raw.</summary>
    public static CommandLine VdiList(PoolDefinition pool) => Dog(pool, "vdi", "list", "-r");

    /// <summary>One VDI (and its snapshots), raw; libvirt put the name before -r.</summary>
    public static CommandLine VdiListOne(PoolDefinition pool, string vdi) => Dog(pool, "vdi", "list", vdi, "-r");

    public static CommandLine VdiCreate(PoolDefinition pool, string vdi, ulong bytes) => Dog(pool, "vdi", "create", vdi, Bytes(bytes));

    public static CommandLine VdiDelete(PoolDefinition pool, string vdi) => Dog(pool, "vdi", "delete", vdi);

    public static CommandLine VdiResize(PoolDefinition pool, string vdi, ulong bytes) => Dog(pool, "vdi", "resize", vdi, Bytes(bytes));

    /// <summary>A read-only snapshot of <paramref name="vdi"/> tagged <paramref name="tag"/> (what a clone is made from).</summary>
    public static CommandLine VdiSnapshot(PoolDefinition pool, string vdi, string tag) => Dog(pool, "vdi", "snapshot", "-s", tag, vdi);

    /// <summary>A writable copy-on-write VDI from the snapshot <paramref name="tag"/> of <paramref name="source"/>.</summary>
    public static CommandLine VdiClone(PoolDefinition pool, string source, string tag, string clone) =>
        Dog(pool, "vdi", "clone", "-s", tag, source, clone);

    /// <summary>The cluster address: the first &lt;host&gt;, or libvirt's defaults for what it leaves out.</summary>
    public static (string Host, int Port) Address(PoolDefinition pool)
    {
        var host = pool.Source.Hosts.FirstOrDefault();
        string name = string.IsNullOrEmpty(host?.Name) ? DefaultHost : host.Name;
        int port = host?.Port is int p && p != 0 ? p : DefaultPort;
        return (name, port);
    }

    private static CommandLine Dog(PoolDefinition pool, params string[] subcommand)
    {
        var (host, port) = Address(pool);
        return new CommandLine(Program, [.. subcommand, "-a", host, "-p", port.ToString(CultureInfo.InvariantCulture)]);
    }

    private static string Bytes(ulong bytes) => bytes.ToString(CultureInfo.InvariantCulture);
}
