namespace KvmStor.Model;

/// <summary>
/// The option values of pool-define-as / pool-create-as (virsh's VIRSH_COMMON_OPT_POOL_X_AS), as given on the
/// command line; null means the option was not given.
/// </summary>
public sealed record PoolArguments
{
    public required string Name { get; init; }
    public required string Type { get; init; }
    public string? SourceHost { get; init; }
    public string? SourcePath { get; init; }
    public string? SourceDev { get; init; }
    public string? SourceName { get; init; }
    public string? Target { get; init; }
    public string? SourceFormat { get; init; }
    public string? AuthType { get; init; }
    public string? AuthUsername { get; init; }
    public string? SecretUsage { get; init; }
    public string? SecretUuid { get; init; }
    public string? AdapterName { get; init; }
    public string? AdapterWwnn { get; init; }
    public string? AdapterWwpn { get; init; }
    public string? AdapterParent { get; init; }
    public string? AdapterParentWwnn { get; init; }
    public string? AdapterParentWwpn { get; init; }
    public string? AdapterParentFabricWwn { get; init; }
    public string? SourceProtocolVer { get; init; }
    public string? SourceInitiator { get; init; }
}

/// <summary>The options of find-storage-pool-sources-as that make up its &lt;source&gt; spec.</summary>
public sealed record PoolSourceQuery(string? Host, string? Port, string? Initiator);
