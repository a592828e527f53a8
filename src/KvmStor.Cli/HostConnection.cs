using KvmStor.Engine;

namespace KvmStor.Cli;

/// <summary>Opens the engine the way every command needs it.</summary>
public static class HostConnection
{
    public static StorageHost Open(string? uri)
    {
        var host = StorageHost.Open(uri);
        try
        {
            // kvmstor has no daemon: the first use after a boot starts the autostart pools (as libvirtd would).
            host.RunAutostartOncePerBoot();
        }
        catch (StorageException)
        {
            // A pool that fails to autostart must not stop the command the user asked for;
            // it stays inactive and pool-list shows it so.
        }
        return host;
    }
}
