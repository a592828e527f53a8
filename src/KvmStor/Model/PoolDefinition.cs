namespace KvmStor.Model;

public sealed record PoolTarget
{
    public string? Path { get; init; }
    public Permissions Permissions { get; init; } = new();
}

/// <summary>rbd's &lt;refresh&gt;&lt;volume allocation='…'/&gt;.</summary>
public enum VolumeAllocationRefresh { Default, Capacity }

public sealed record RbdConfigOption(string Name, string Value);

/// <summary>One storage pool as libvirt's pool XML describes it.</summary>
public sealed record PoolDefinition
{
    public required PoolType Type { get; init; }
    public required string Name { get; init; }
    public Guid Uuid { get; init; }
    public ulong Capacity { get; init; }
    public ulong Allocation { get; init; }
    public ulong Available { get; init; }
    /// <summary>&lt;features&gt;&lt;cow state='yes|no'/&gt; (dir and fs only); null when absent.</summary>
    public bool? Cow { get; init; }
    public PoolSource Source { get; init; } = new();
    public PoolTarget? Target { get; init; }
    public VolumeAllocationRefresh? RefreshVolumeAllocation { get; init; }
    /// <summary>fs:mount_opts option names (fs, netfs).</summary>
    public IReadOnlyList<string> MountOptions { get; init; } = [];
    /// <summary>rbd:config_opts (rbd).</summary>
    public IReadOnlyList<RbdConfigOption> RbdConfigOptions { get; init; } = [];

    public string? TargetPath => Target?.Path;

    /// <summary>The definition as stored in config files: no sizes, no runtime-only data.</summary>
    public PoolDefinition WithoutRuntimeData() => this with { Capacity = 0, Allocation = 0, Available = 0 };
}
