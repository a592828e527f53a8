using KvmStor.Server.Dispatch;
using KvmStor.Server.Events;
using KvmStor.Server.Protocol;

namespace KvmStor.Server.Procedures;

/// <summary>Event registration (§7.1): allowed read-only; events themselves go out through <see cref="EventHub"/>.</summary>
public static class EventProcedures
{
    // VIR_*_EVENT_ID_LAST of libvirt 9.0: the event ids a client may register for.
    private const int PoolEventIds = 2, SecretEventIds = 2, DomainEventIds = 27, NetworkEventIds = 1, NodeDeviceEventIds = 2;

    public static IEnumerable<Procedure> All =>
    [
        new(368, "virConnectStoragePoolEventRegisterAny", ProcedureFamily.Storage, c => Register(c, EventFamily.Pool, PoolEventIds, "storage pool "), Inline: true),
        new(369, "virConnectStoragePoolEventDeregisterAny", ProcedureFamily.Storage, c => Deregister(c, EventFamily.Pool, "storage pool"), Inline: true),
        new(380, "virConnectSecretEventRegisterAny", ProcedureFamily.Secret, c => Register(c, EventFamily.Secret, SecretEventIds, "secret "), Inline: true),
        new(381, "virConnectSecretEventDeregisterAny", ProcedureFamily.Secret, c => Deregister(c, EventFamily.Secret, "secret"), Inline: true),
        // The hypervisor driver's events (qemu:///… only): registrations succeed so clients such as libvirt-dbus
        // subscribe as they do with libvirtd; nothing is ever sent on them.
        new(316, "virConnectDomainEventRegisterAny", ProcedureFamily.Domain, c => Register(c, EventFamily.Domain, DomainEventIds, ""), Inline: true),
        new(317, "virConnectDomainEventDeregisterAny", ProcedureFamily.Domain, c => Deregister(c, EventFamily.Domain, "domain"), Inline: true),
        new(313, "virConnectNetworkEventRegisterAny", ProcedureFamily.Network, c => Register(c, EventFamily.Network, NetworkEventIds, "network "), Inline: true),
        new(314, "virConnectNetworkEventDeregisterAny", ProcedureFamily.Network, c => Deregister(c, EventFamily.Network, "network"), Inline: true),
        new(374, "virConnectNodeDeviceEventRegisterAny", ProcedureFamily.NodeDevice, c => Register(c, EventFamily.NodeDevice, NodeDeviceEventIds, "node device "), Inline: true),
        new(375, "virConnectNodeDeviceEventDeregisterAny", ProcedureFamily.NodeDevice, c => Deregister(c, EventFamily.NodeDevice, "node device"), Inline: true),
    ];

    /// <summary>eventID, then the optional object the callback is limited to (a pool or secret filter is kept; others receive nothing anyway).</summary>
    private static void Register(CallContext call, EventFamily family, int eventIds, string what)
    {
        int eventId = call.Args.ReadInt();
        Guid? filter = null;
        if (call.Args.ReadPresent())
            filter = family switch
            {
                EventFamily.Pool => PoolHandle.Read(call.Args).Uuid,
                EventFamily.Secret => SecretHandle.Read(call.Args).Uuid,
                EventFamily.Domain => DomainHandle.Read(call.Args).Uuid,
                EventFamily.Network => NetworkHandle.Read(call.Args).Uuid,
                _ => ReadNodeDevice(call),
            };
        if (eventId < 0 || eventId >= eventIds)
            throw new RpcFault(RemoteError.Internal(call.Domain, $"unsupported {what}event ID {eventId}"));
        call.Ret.WriteInt(call.Server.Events.Subscribe(call.Connection, family, eventId, filter));
    }

    private static Guid? ReadNodeDevice(CallContext call)
    {
        NodeDeviceHandle.Read(call.Args);
        return null;
    }

    private static void Deregister(CallContext call, EventFamily family, string what)
    {
        int callbackId = call.Args.ReadInt();
        if (!call.Server.Events.Unsubscribe(call.Connection, family, callbackId))
            throw new RpcFault(RemoteError.Internal(call.Domain, $"{what} event callback {callbackId} not registered"));
    }
}
