using KvmStor.Backends;
using KvmStor.Backends.Dir;
using KvmStor.Engine;
using KvmStor.Host;
using KvmStor.Model;

namespace KvmStor.Tests.Backends;

/// <summary>A running dir pool "p" in a temp directory, reached through the engine; the command runner is swappable.</summary>
public sealed class FileVolumeTestPool : IDisposable
{
    public const int MiB = 1 << 20;

    private readonly TempStateDirectory _dir = new();

    public StorageHost Host { get; }
    public string Target => _dir.PoolDir("p");

    public FileVolumeTestPool(ICommandRunner? runner = null)
    {
        var registry = new BackendRegistry();
        registry.Register(new DirPoolBackend(runner ?? new ProcessCommandRunner()));
        Host = _dir.OpenHost(registry);
        Host.Pools.Define($"<pool type='dir'><name>p</name><target><path>{Target}</path></target></pool>");
        Host.Pools.Build("p", PoolBuildFlags.None);
        Host.Pools.Start("p", PoolBuildFlags.None);
    }

    public string PathOf(string name) => Path.Combine(Target, name);

    public VolumeHandle Create(string name, string capacity, string format = "raw", string extra = "", VolumeCreateFlags flags = VolumeCreateFlags.None) =>
        Host.Volumes.Create("p", VolumeXmlFor(name, capacity, format, extra), flags);

    public static string VolumeXmlFor(string name, string capacity, string format = "raw", string extra = "") =>
        $"<volume><name>{name}</name>{(capacity.Length == 0 ? "" : $"<capacity>{capacity}</capacity>")}{extra}<target><format type='{format}'/></target></volume>";

    public VolumeHandle Volume(string name) => Host.Lookup.VolumeByName("p", name);

    /// <summary>Entries of the pool directory, hidden partial files included.</summary>
    public string[] Entries() => Directory.GetFileSystemEntries(Target).Select(Path.GetFileName).Order().ToArray()!;

    public void Dispose() => _dir.Dispose();
}
