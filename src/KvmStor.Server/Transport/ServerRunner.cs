using KvmStor.Engine;

namespace KvmStor.Server.Transport;

/// <summary>Runs a server on an engine until asked to stop, then removes its sockets.</summary>
public static class ServerRunner
{
    /// <param name="started">called with the endpoints once every socket listens (the CLI prints where)</param>
    /// <returns>true when it stopped because it was idle for <see cref="ServeOptions.IdleTimeout"/></returns>
    public static async Task<bool> RunAsync(StorageHost host, ServeOptions options, CancellationToken stop, Action<IReadOnlyList<string>>? started = null)
    {
        // Calls run on pool threads and may block (disk I/O, locks another process holds): with the read-only clients'
        // share busy, a read-write client's call must still find a thread at once, not after the pool has grown.
        ThreadPool.GetMinThreads(out int workers, out int completions);
        ThreadPool.SetMinThreads(Math.Max(workers, options.Limits.MaxReadOnlyCalls + 16), completions);
        using var state = new ServerState(host, options);
        var server = new RpcServer(state);
        try
        {
            server.Start();
            started?.Invoke(server.Endpoints);
            SystemdNotify.Send("READY=1");
            try
            {
                if (options.IdleTimeout is not { } timeout)
                {
                    await Task.Delay(Timeout.Infinite, stop).ConfigureAwait(false);
                    return false;
                }
                // As virtstoraged --timeout: stop once no client has been connected for the whole timeout.
                while (true)
                {
                    var idle = server.Idle;
                    if (idle >= timeout) return true;
                    var wait = timeout - idle;
                    await Task.Delay(wait < TimeSpan.FromSeconds(1) ? wait : TimeSpan.FromSeconds(1), stop).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) { return false; }
        }
        finally
        {
            SystemdNotify.Send("STOPPING=1");
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
