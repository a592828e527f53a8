using KvmStor.Server.Dispatch;
using KvmStor.Server.Events;
using KvmStor.Server.Protocol;

namespace KvmStor.Server.Procedures;

/// <summary>Event registration (§7.1): allowed read-only; events themselves go out through <see cref="EventHub"/>.</summary>
public static class EventProcedures
{
    public static IEnumerable<Procedure> All =>
    [
        new(368, "virConnectStoragePoolEventRegisterAny", ProcedureFamily.Storage, c => Register(c, EventFamily.Pool, "storage pool"), Inline: true),
        new(369, "virConnectStoragePoolEventDeregisterAny", ProcedureFamily.Storage, c => Deregister(c, EventFamily.Pool, "storage pool"), Inline: true),
        new(380, "virConnectSecretEventRegisterAny", ProcedureFamily.Secret, c => Register(c, EventFamily.Secret, "secret"), Inline: true),
        new(381, "virConnectSecretEventDeregisterAny", ProcedureFamily.Secret, c => Deregister(c, EventFamily.Secret, "secret"), Inline: true),
    ];

    private static void Register(CallContext call, EventFamily family, string what)
    {
        int eventId = call.Args.ReadInt();
        Guid? filter = null;
        if (call.Args.ReadPresent())
            filter = family == EventFamily.Pool ? PoolHandle.Read(call.Args).Uuid : SecretHandle.Read(call.Args).Uuid;
        if (eventId is < 0 or > 1)
            throw new RpcFault(RemoteError.Internal(call.Domain, $"unsupported {what} event ID {eventId}"));
        call.Ret.WriteInt(call.Server.Events.Subscribe(call.Connection, family, eventId, filter));
    }

    private static void Deregister(CallContext call, EventFamily family, string what)
    {
        int callbackId = call.Args.ReadInt();
        if (!call.Server.Events.Unsubscribe(call.Connection, family, callbackId))
            throw new RpcFault(RemoteError.Internal(call.Domain, $"{what} event callback {callbackId} not registered"));
    }
}
