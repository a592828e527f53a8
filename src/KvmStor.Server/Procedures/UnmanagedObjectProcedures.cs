using KvmStor.Server.Dispatch;
using KvmStor.Server.Protocol;

namespace KvmStor.Server.Procedures;

/// <summary>
/// Networks, host interfaces and node devices: kvmstor manages none, so a hypervisor connection lists none and every
/// lookup finds nothing (libvirt's "not found" errors), which clients such as Cockpit show as empty lists.
/// </summary>
public static class UnmanagedObjectProcedures
{
    public static IEnumerable<Procedure> All =>
    [
        new(283, "virConnectListAllNetworks", ProcedureFamily.Network, EmptyListAll),
        new(52, "virConnectNumOfNetworks", ProcedureFamily.Network, c => c.Ret.WriteInt(0)),
        new(38, "virConnectListNetworks", ProcedureFamily.Network, c => EmptyNames(c, "NETWORK_NAME")),
        new(50, "virConnectNumOfDefinedNetworks", ProcedureFamily.Network, c => c.Ret.WriteInt(0)),
        new(36, "virConnectListDefinedNetworks", ProcedureFamily.Network, c => EmptyNames(c, "NETWORK_NAME")),
        new(46, "virNetworkLookupByName", ProcedureFamily.Network,
            c => throw NotFound(ErrorNumbers.NoNetwork, ErrorDomains.Network, "Network not found: ", $"no network with matching name '{c.Args.ReadString()}'")),
        new(47, "virNetworkLookupByUUID", ProcedureFamily.Network,
            c => throw NotFound(ErrorNumbers.NoNetwork, ErrorDomains.Network, "Network not found: ", $"no network with matching uuid '{c.Args.ReadUuid():D}'")),

        new(284, "virConnectListAllInterfaces", ProcedureFamily.Interface, EmptyListAll),
        new(126, "virConnectNumOfInterfaces", ProcedureFamily.Interface, c => c.Ret.WriteInt(0)),
        new(127, "virConnectListInterfaces", ProcedureFamily.Interface, c => EmptyNames(c, "INTERFACE_NAME")),
        new(137, "virConnectNumOfDefinedInterfaces", ProcedureFamily.Interface, c => c.Ret.WriteInt(0)),
        new(138, "virConnectListDefinedInterfaces", ProcedureFamily.Interface, c => EmptyNames(c, "INTERFACE_NAME")),
        new(128, "virInterfaceLookupByName", ProcedureFamily.Interface,
            c => throw NotFound(ErrorNumbers.NoInterface, ErrorDomains.Interface, "Interface not found: ", $"couldn't find interface named '{c.Args.ReadString()}'")),
        new(129, "virInterfaceLookupByMACString", ProcedureFamily.Interface,
            c => throw NotFound(ErrorNumbers.NoInterface, ErrorDomains.Interface, "Interface not found: ", $"couldn't find interface with MAC address '{c.Args.ReadString()}'")),

        new(285, "virConnectListAllNodeDevices", ProcedureFamily.NodeDevice, EmptyListAll),
        new(111, "virNodeNumOfDevices", ProcedureFamily.NodeDevice, NumOfNodeDevices),
        new(112, "virNodeListDevices", ProcedureFamily.NodeDevice, ListNodeDevices),
        new(113, "virNodeDeviceLookupByName", ProcedureFamily.NodeDevice,
            c => throw NotFound(ErrorNumbers.NoNodeDevice, ErrorDomains.NodeDevice, "Node device not found: ", $"no node device with matching name '{c.Args.ReadString()}'")),
    ];

    /// <summary>need_results, flags → an empty array and a count of 0 (every filter flag passes or fails nothing).</summary>
    private static void EmptyListAll(CallContext call)
    {
        call.Args.ReadInt();
        call.Args.ReadUInt();
        PoolProcedures.WriteList(call, 1, 0, () => { });
    }

    private static void EmptyNames(CallContext call, string what) =>
        ObjectHandles.WriteNames(call.Ret, [], ObjectHandles.ReadMaxNames(call, what));

    /// <summary>remote_node_num_of_devices_args: an optional capability, flags.</summary>
    private static void NumOfNodeDevices(CallContext call)
    {
        call.Args.ReadOptionalString();
        call.Args.ReadUInt();
        call.Ret.WriteInt(0);
    }

    /// <summary>remote_node_list_devices_args: an optional capability, maxnames, flags.</summary>
    private static void ListNodeDevices(CallContext call)
    {
        call.Args.ReadOptionalString();
        int max = ObjectHandles.ReadMaxNames(call, "NODE_DEVICE_NAME");
        call.Args.ReadUInt();
        ObjectHandles.WriteNames(call.Ret, [], max);
    }

    private static RpcFault NotFound(int code, int domain, string prefix, string detail) =>
        new(RemoteError.Make(code, domain, prefix, detail));
}
