using KvmStor.Backends;
using KvmStor.Engine;
using KvmStor.State;

namespace KvmStor.Tests;

/// <summary>A throw-away session connection: config, autostart and runtime state under one temp directory.</summary>
public sealed class TempStateDirectory : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("kvmstor-test-").FullName;

    public StatePaths Paths => new(StatePaths.SessionUri, Path.Combine(Root, "config"), Path.Combine(Root, "config", "autostart"), Path.Combine(Root, "run"));

    /// <summary>Environment that makes kvmstor:///session land in this directory.</summary>
    public IDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["XDG_CONFIG_HOME"] = Path.Combine(Root, "xdg-config"),
        ["XDG_STATE_HOME"] = Path.Combine(Root, "xdg-state"),
        ["XDG_RUNTIME_DIR"] = Path.Combine(Root, "xdg-run"),
        ["KVMSTOR_DEFAULT_URI"] = StatePaths.SessionUri,
    };

    public StorageHost OpenHost(BackendRegistry? backends = null) => new(Paths, backends ?? BackendRegistry.CreateDefault());

    public string PoolDir(string name) => Path.Combine(Root, "pools", name);

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
