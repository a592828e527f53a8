using System.Text.RegularExpressions;

namespace KvmStor.IntegrationTests.Ceph;

/// <summary>
/// A kvmstor state with an rbd pool on the test cluster: a ceph secret holding client.admin's key (set from a file,
/// never on a command line) and a pool defined with pool-define-as --auth-type ceph --secret-usage, started.
/// </summary>
public sealed partial class RbdPoolSession : IDisposable
{
    public KvmstorProcess Kvmstor { get; }
    public string PoolName { get; } = "ceph-" + Guid.NewGuid().ToString("N")[..8];
    public string Usage { get; }
    public string SecretUuid { get; }
    private readonly bool _ownsKvmstor;

    public RbdPoolSession(CephCluster cluster, bool start = true) : this(cluster, new KvmstorProcess(), owns: true, start) { }

    /// <summary>The secret and pool in the state of <paramref name="kvmstor"/> (e.g. a ServeFixture's), which stays its owner's.</summary>
    public RbdPoolSession(CephCluster cluster, KvmstorProcess kvmstor, bool start = true) : this(cluster, kvmstor, owns: false, start) { }

    private RbdPoolSession(CephCluster cluster, KvmstorProcess kvmstor, bool owns, bool start)
    {
        Kvmstor = kvmstor;
        _ownsKvmstor = owns;
        Usage = $"client.admin {PoolName}";
        string secretXml = Path.Combine(Kvmstor.Root, "secret.xml");
        File.WriteAllText(secretXml, $"<secret ephemeral='no' private='yes'><usage type='ceph'><name>{Usage}</name></usage></secret>");
        var defined = Must("secret-define", secretXml);
        SecretUuid = UuidPattern().Match(defined).Value;
        string keyFile = Path.Combine(Kvmstor.Root, "key");
        File.WriteAllText(keyFile, cluster.Key);
        Must("secret-set-value", SecretUuid, "--file", keyFile);
        File.Delete(keyFile);
        Must("pool-define-as", PoolName, "rbd", "--source-host", "127.0.0.1", "--source-name", cluster.Pool,
            "--auth-type", "ceph", "--auth-username", "admin", "--secret-usage", Usage);
        if (start) Must("pool-start", PoolName);
    }

    /// <summary>Runs kvmstor and requires success; returns stdout.</summary>
    public string Must(params string[] args)
    {
        var (code, stdout, stderr) = Kvmstor.Run(args);
        Assert.True(code == 0, $"kvmstor {string.Join(' ', args)} failed ({code}): {stderr}");
        return stdout;
    }

    public (int Code, string Stdout, string Stderr) Run(params string[] args) => Kvmstor.Run(args);

    public (int Code, string Stdout, string Stderr) RunWith(Dictionary<string, string> environment, params string[] args) =>
        Kvmstor.RunWith(environment, args);

    public void Dispose()
    {
        if (_ownsKvmstor) Kvmstor.Dispose();
    }

    [GeneratedRegex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")]
    private static partial Regex UuidPattern();
}
