using KvmStor.Engine;

namespace KvmStor.Cli;

/// <summary>Opens the engine the way every command needs it.</summary>
public static class HostConnection
{
    public static StorageHost Open(string? uri) => StorageHost.Open(uri);

    /// <summary>
    /// kvmstor has no daemon: the first use after a boot starts the autostart pools (as libvirtd would). A pool that
    /// fails to start must not stop the command the user asked for; it stays inactive and is reported as a warning.
    /// </summary>
    public static void AutostartOncePerBoot(StorageHost host, Action<string> warn)
    {
        try
        {
            foreach (var (pool, error) in host.Pools.RunAutostartOncePerBoot())
                warn($"pool {pool} failed to autostart: {error.Display}");
        }
        catch (StorageException e)
        {
            warn($"autostart of pools failed: {e.Display}");
        }
    }
}
