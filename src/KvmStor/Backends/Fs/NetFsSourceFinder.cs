using System.Text.RegularExpressions;
using System.Xml.Linq;
using KvmStor.Host;
using KvmStor.Model;
using KvmStor.Xml;

namespace KvmStor.Backends.Fs;

/// <summary>
/// find-storage-pool-sources for netfs: the host's NFS exports (showmount) and GlusterFS volumes (gluster CLI),
/// as libvirt finds them. Either may be missing or fail; only when NFS fails and Gluster finds nothing is it an error.
/// Each query is bounded (KVMSTOR_NETWORK_TIMEOUT): a query that times out counts as failed, and when nothing was
/// found the timeout is the error reported (libvirt waits as long as the tools do).
/// </summary>
public sealed partial class NetFsSourceFinder(ICommandRunner runner, TimeSpan? networkLimit = null)
{
    public const string ShowmountProgram = "showmount";
    public const string GlusterProgram = "gluster";

    public static CommandLine ShowmountCommand(string host) => new(ShowmountProgram, "--no-headers", "--exports", host);

    public static CommandLine GlusterCommand(string host) =>
        new(GlusterProgram, "--xml", "--log-file=/dev/null", "volume", "info", "all", "--remote-host=" + host);

    public IReadOnlyList<PoolSource> Find(string? sourceSpecXml)
    {
        if (sourceSpecXml is null) throw StorageException.InvalidArg("hostname must be specified for netfs sources");
        var spec = SourcesXml.ParseSourceSpec(sourceSpecXml, PoolType.NetFs);
        if (spec.Hosts.Count != 1) throw StorageException.Unsupported("Expected exactly 1 host for the storage pool");
        string host = spec.Hosts[0].Name;

        var found = new List<PoolSource>();
        bool nfsAnswered = TryFindNfsExports(host, found);
        int glusterVolumes = FindGlusterVolumes(host, found, PoolType.NetFs);
        if (!nfsAnswered && glusterVolumes == 0)
            throw _timeout ?? StorageException.Failed($"no storage pools were found on host '{host}'");
        return found;
    }

    private StorageException? _timeout;

    /// <summary>Runs a query with the network bound; a timeout is remembered and answers as a failed run.</summary>
    private CommandResult RunBounded(CommandLine command)
    {
        try { return runner.Run(command.Within(CommandTimeLimit.Network(command.ToString(), networkLimit))); }
        catch (StorageException e) when (e.Code == ErrorCode.OperationTimeout)
        {
            _timeout ??= e;
            return new CommandResult(-1, "", e.Message);
        }
    }

    /// <summary>
    /// One export per line: the directory (which may hold spaces), blanks, then the client list. Returns false when
    /// showmount is missing, fails, or lists a path libvirt rejects (entries read before it are kept, as in libvirt).
    /// </summary>
    private bool TryFindNfsExports(string host, List<PoolSource> found)
    {
        if (!runner.Exists(ShowmountProgram)) return false;
        var result = RunBounded(ShowmountCommand(host));
        if (!result.Success) return false;
        foreach (var line in result.StandardOutput.Split('\n'))
        {
            var match = ExportLine().Match(line.TrimEnd('\r'));
            if (!match.Success) continue;
            string path = match.Groups[1].Value;
            // libvirt wants a last path component: "/a/" is refused.
            if (path.EndsWith('/')) return false;
            found.Add(new PoolSource { Hosts = [new PoolSourceHost(host)], Dir = path, Format = "nfs" });
        }
        return true;
    }

    /// <summary>
    /// The volumes of <c>gluster --xml volume info all</c>; a missing CLI or a failed query finds none. A netfs
    /// source names the volume as its dir, a gluster pool's source as its name.
    /// </summary>
    public int FindGlusterVolumes(string host, List<PoolSource> found, PoolType poolType)
    {
        if (!runner.Exists(GlusterProgram)) return 0;
        var result = RunBounded(GlusterCommand(host));
        if (!result.Success) return 0;
        var doc = SafeXml.Parse(result.StandardOutput, "(gluster_cli_output)");
        int count = 0;
        foreach (var volume in doc.Descendants("volumes").Elements("volume"))
        {
            string name = (string?)volume.Element("name") ?? "";
            if (name.Length == 0) throw StorageException.Internal("failed to extract gluster volume name");
            found.Add(poolType == PoolType.NetFs
                ? new PoolSource { Hosts = [new PoolSourceHost(host)], Dir = name, Format = "glusterfs" }
                : new PoolSource { Hosts = [new PoolSourceHost(host)], Name = name });
            count++;
        }
        return count;
    }

    [GeneratedRegex(@"^(/.*\S) +\S+$")]
    private static partial Regex ExportLine();
}
