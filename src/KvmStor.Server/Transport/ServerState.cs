using KvmStor.Engine;
using KvmStor.Server.Events;

namespace KvmStor.Server.Transport;

/// <summary>What every connection of one server shares: the engine, the event subscribers, the options.</summary>
public sealed class ServerState(StorageHost host, ServeOptions options) : IDisposable
{
    public StorageHost Host { get; } = host;
    public ServeOptions Options { get; } = options;
    public EventHub Events { get; } = new(host);

    public void Dispose() => Events.Dispose();
}
