using KvmStor.Backends;
using KvmStor.Engine;
using KvmStor.Model;
using KvmStor.State;

namespace KvmStor.IntegrationTests;

/// <summary>A running dir pool over <paramref name="target"/> (a fresh scratch directory by default), state in a temp dir.</summary>
internal sealed class FileVolumeIntegrationPool : IDisposable
{
    private readonly string _state = Directory.CreateTempSubdirectory("kvmstor-volit-state-").FullName;
    private readonly string? _ownTarget;

    public StorageHost Host { get; }
    public string Target { get; }

    public FileVolumeIntegrationPool(string? target = null)
    {
        if (target is null) _ownTarget = target = Directory.CreateTempSubdirectory("kvmstor-volit-pool-").FullName;
        else Directory.CreateDirectory(target);
        Target = target;
        Host = new StorageHost(new StatePaths(StatePaths.SessionUri, Path.Combine(_state, "config"), Path.Combine(_state, "autostart"),
            Path.Combine(_state, "run")), BackendRegistry.CreateDefault());
        Host.Pools.Define($"<pool type='dir'><name>p</name><target><path>{Target}</path></target></pool>");
        Host.Pools.Start("p", PoolBuildFlags.None);
    }

    public string PathOf(string name) => Path.Combine(Target, name);

    public VolumeHandle Create(string name, string targetXml, string extra = "", VolumeCreateFlags flags = VolumeCreateFlags.None) =>
        Host.Volumes.Create("p", $"<volume><name>{name}</name>{extra}<target>{targetXml}</target></volume>", flags);

    public VolumeHandle Clone(string source, string name, string format, VolumeCreateFlags flags = VolumeCreateFlags.None) =>
        Host.Volumes.CreateFrom("p", $"<volume><name>{name}</name><target><format type='{format}'/></target></volume>",
            Host.Lookup.VolumeByName("p", source), flags);

    public void Dispose()
    {
        try { Host.Pools.Destroy("p"); } catch (StorageException) { }
        Host.Dispose();
        if (_ownTarget is not null) Directory.Delete(_ownTarget, recursive: true);
        else foreach (var f in Directory.EnumerateFiles(Target)) File.Delete(f);
        Directory.Delete(_state, recursive: true);
    }
}
