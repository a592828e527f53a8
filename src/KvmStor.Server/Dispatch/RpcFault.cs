using KvmStor.Server.Protocol;

namespace KvmStor.Server.Dispatch;

/// <summary>A call that fails with a ready-made libvirt error (protocol errors, refusals, flag checks).</summary>
public sealed class RpcFault(RemoteError error) : Exception(error.Message)
{
    public RemoteError Error { get; } = error;
}
