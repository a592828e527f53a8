using KvmStor.Model;

namespace KvmStor.Backends;

/// <summary>What a backend can do; the engine turns a missing capability into libvirt's "does not support" error.</summary>
[Flags]
public enum BackendCapabilities
{
    None = 0,
    Check = 1 << 0,
    Build = 1 << 1,
    Start = 1 << 2,
    Stop = 1 << 3,
    Delete = 1 << 4,
    Refresh = 1 << 5,
    FindSources = 1 << 6,
    CreateVolume = 1 << 7,
    CreateVolumeFrom = 1 << 8,
    DeleteVolume = 1 << 9,
    ResizeVolume = 1 << 10,
    UploadVolume = 1 << 11,
    DownloadVolume = 1 << 12,
    WipeVolume = 1 << 13,
}

/// <summary>What a refresh learned about a running pool.</summary>
public sealed record PoolRefreshResult
{
    public ulong Capacity { get; init; }
    public ulong Allocation { get; init; }
    public ulong Available { get; init; }
    /// <summary>The target directory's actual owner/group/mode, when the backend has one.</summary>
    public Permissions? TargetPermissions { get; init; }
    public IReadOnlyList<VolumeDefinition> Volumes { get; init; } = [];
    /// <summary>The pool's source as the host shows it now (disk pools: free extents, the resolved label); null keeps the definition's.</summary>
    public PoolSource? Source { get; init; }
}

/// <summary>
/// One pool type's host-side work. Backends never read the config store and never print; they throw
/// <see cref="StorageException"/> with libvirt's texts.
/// </summary>
public interface IPoolBackend
{
    PoolType Type { get; }
    BackendCapabilities Capabilities { get; }

    /// <summary>Whether the pool is running on the host right now (dir: target exists; fs: mounted…).</summary>
    bool CheckActive(PoolDefinition pool);
    void Build(PoolDefinition pool, PoolBuildFlags flags);
    void Start(PoolDefinition pool);
    void Stop(PoolDefinition pool);
    void Delete(PoolDefinition pool);
    PoolRefreshResult Refresh(PoolDefinition pool);
    /// <summary>Returns a &lt;sources&gt; document for find-storage-pool-sources.</summary>
    string FindSources(string? sourceSpecXml);
}
