using KvmStor.Engine;
using KvmStor.Server.Protocol;
using KvmStor.Server.Transport;
using KvmStor.Server.Xdr;

namespace KvmStor.Server.Dispatch;

/// <summary>One call being answered: its connection, arguments, result buffer and cancellation.</summary>
public sealed class CallContext(ClientConnection connection, Procedure procedure, Packet packet, CancellationToken cancel)
{
    public ClientConnection Connection { get; } = connection;
    public Procedure Procedure { get; } = procedure;
    public PacketHeader Header { get; } = packet.Header;
    public XdrReader Args { get; } = new(packet.Payload);
    public XdrWriter Ret { get; } = new();
    public CancellationToken Cancel { get; } = cancel;

    public ServerState Server => Connection.Server;
    public StorageHost Host => Connection.Server.Host;

    /// <summary>The handler has sent its own REPLY (a stream's call answers before the data flows).</summary>
    public bool Replied { get; private set; }

    /// <summary>The error domain of this call's family.</summary>
    public int Domain => Procedure.Family switch
    {
        ProcedureFamily.Storage => ErrorDomains.Storage,
        ProcedureFamily.Secret => ErrorDomains.Secret,
        ProcedureFamily.Network => ErrorDomains.Network,
        ProcedureFamily.Interface => ErrorDomains.Interface,
        ProcedureFamily.NodeDevice => ErrorDomains.NodeDevice,
        _ => ErrorDomains.Domain,
    };

    /// <summary>libvirt's virCheckFlags: any bit outside <paramref name="allowed"/> is INVALID_ARG naming the driver function.</summary>
    public void CheckFlags(uint flags, uint allowed, string function)
    {
        if ((flags & ~allowed) != 0) throw new RpcFault(RemoteError.UnsupportedFlags(Domain, flags, function));
    }

    /// <summary>Sends the (void) REPLY now; what the handler does afterwards is its own business.</summary>
    public void ReplyNow()
    {
        Replied = true;
        Connection.Send(new Packet(Header.Answer(MessageType.Reply, MessageStatus.Ok), Ret.WrittenMemory.ToArray()));
    }
}
