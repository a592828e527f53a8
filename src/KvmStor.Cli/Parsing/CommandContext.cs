using KvmStor.Cli.Output;
using KvmStor.Engine;

namespace KvmStor.Cli.Parsing;

/// <summary>What a command runs with: output, the connection (opened on first use), global settings.</summary>
/// <param name="autostartPools">
/// Whether opening the connection starts the autostart pools once per boot (as any command does); completion, which
/// must not start a pool because someone pressed Tab, opens it without.
/// </param>
public sealed class CommandContext(OutputWriter output, CliServices services, CommandTable table, string? uri, bool autostartPools = true) : IDisposable
{
    private StorageHost? _host;

    public OutputWriter Output { get; } = output;
    public CliServices Services { get; } = services;
    public CommandTable Table { get; } = table;
    public string? Uri { get; } = uri;

    /// <summary>The engine, opened on first use so that help and --print-xml never touch storage state.</summary>
    public StorageHost Host => _host ??= Open();

    private StorageHost Open()
    {
        try
        {
            var host = Services.OpenHost(Uri);
            if (autostartPools) HostConnection.AutostartOncePerBoot(host, message => Output.Warning(message));
            return host;
        }
        catch (StorageException e)
        {
            throw new CommandError("failed to connect to the hypervisor", e);
        }
    }

    public bool HostOpened => _host is not null;

    public void Dispose() => _host?.Dispose();
}
