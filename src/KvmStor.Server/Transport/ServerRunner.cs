using KvmStor.Engine;

namespace KvmStor.Server.Transport;

/// <summary>Runs a server on an engine until asked to stop, then removes its sockets.</summary>
public static class ServerRunner
{
    /// <param name="started">called once both sockets listen (the CLI prints where)</param>
    public static async Task RunAsync(StorageHost host, ServeOptions options, CancellationToken stop, Action? started = null)
    {
        using var state = new ServerState(host, options);
        var server = new RpcServer(state);
        try
        {
            server.Start();
            started?.Invoke();
            try { await Task.Delay(Timeout.Infinite, stop).ConfigureAwait(false); }
            catch (OperationCanceledException) { }
        }
        finally
        {
            await server.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Where `kvmstor serve` listens without --listen: /run/kvmstor/kvmstor-sock for the system connection,
    /// $XDG_RUNTIME_DIR/kvmstor/kvmstor-sock for a session; null when a session has no runtime directory.
    /// </summary>
    public static string? DefaultSocketPath(bool system, Func<string, string?>? environment = null)
    {
        if (system) return "/run/kvmstor/kvmstor-sock";
        environment ??= Environment.GetEnvironmentVariable;
        return environment("XDG_RUNTIME_DIR") is { Length: > 0 } runtime ? Path.Combine(runtime, "kvmstor", "kvmstor-sock") : null;
    }
}
