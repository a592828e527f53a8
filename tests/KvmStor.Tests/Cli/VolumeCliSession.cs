using KvmStor.Cli;
using KvmStor.Engine;

namespace KvmStor.Tests.Cli;

/// <summary>
/// kvmstor run in-process against a real engine on a throw-away session state, with a running dir pool "p1" in a
/// temp directory (and, on demand, more pools).
/// </summary>
internal sealed class VolumeCliSession : IDisposable
{
    private readonly TempStateDirectory _dir = new();

    public VolumeCliSession(bool startPool = true)
    {
        if (startPool) AddPool("p1");
    }

    public string Root => _dir.Root;

    public string PoolDir(string name) => _dir.PoolDir(name);

    /// <summary>The path of a volume of a dir pool (its key too).</summary>
    public string VolumePath(string pool, string volume) => Path.Combine(_dir.PoolDir(pool), volume);

    public StorageHost OpenHost() => _dir.OpenHost();

    /// <summary>Defines, builds and (unless told otherwise) starts a dir pool; returns its UUID.</summary>
    public Guid AddPool(string name, bool start = true)
    {
        using var host = _dir.OpenHost();
        var pool = host.Pools.Define($"<pool type='dir'><name>{name}</name><target><path>{_dir.PoolDir(name)}</path></target></pool>");
        host.Pools.Build(name, KvmStor.Model.PoolBuildFlags.None);
        if (start) host.Pools.Start(name, KvmStor.Model.PoolBuildFlags.None);
        return pool.Uuid;
    }

    public CliServices Services(bool stderrIsTerminal = false, InterruptSignal? interrupt = null) => new()
    {
        Environment = new Dictionary<string, string>(_dir.Environment),
        OpenHost = _ => _dir.OpenHost(),
        StderrIsTerminal = stderrIsTerminal,
        Interrupt = interrupt ?? new InterruptSignal(),
    };

    public CliResult Run(params string[] args) => CliRunner.Run(Services(), args);

    /// <summary>Runs a command that must succeed, and returns its stdout.</summary>
    public string Ok(params string[] args)
    {
        var result = Run(args);
        Assert.True(result.ExitCode == 0, $"kvmstor {string.Join(' ', args)} failed: {result.Stderr}");
        Assert.Equal("", result.Stderr);
        return result.Stdout;
    }

    /// <summary>Runs a command that must fail, and returns its stderr (stdout holds only the blank line).</summary>
    public string Fails(params string[] args)
    {
        var result = Run(args);
        Assert.True(result.ExitCode == 1, $"kvmstor {string.Join(' ', args)} should have failed: {result.Stdout}");
        return result.Stderr;
    }

    public string WriteFile(string name, string text)
    {
        string path = Path.Combine(_dir.Root, name);
        File.WriteAllText(path, text);
        return path;
    }

    public string WriteFile(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir.Root, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public void Dispose() => _dir.Dispose();
}
