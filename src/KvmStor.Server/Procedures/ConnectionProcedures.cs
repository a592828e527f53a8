using System.Text;
using KvmStor.Model;
using KvmStor.Server.Dispatch;
using KvmStor.Server.Protocol;

namespace KvmStor.Server.Procedures;

/// <summary>Auth, features, open/close, close callbacks and the connection's facts (§4.2).</summary>
public static class ConnectionProcedures
{
    private const int FeatureFdPassing = 8, FeatureKeepalive = 10, FeatureEventCallback = 14, FeatureCloseCallback = 15;

    /// <summary>libvirt 9.0.0 as major×1000000 + minor×1000 + micro: the version whose protocol the server speaks.</summary>
    private const ulong LibVersion = 9_000_000;

    /// <summary>Connection names a client may open: every one reaches the same storage and secret driver (§4.3).</summary>
    private static readonly string[] Schemes = ["storage", "secret", "qemu", "kvmstor"];

    public static IEnumerable<Procedure> All =>
    [
        new(66, "virConnectAuthList", ProcedureFamily.Connection, AuthList, BeforeOpen: true, Inline: true),
        new(60, "virConnectSupportsFeature", ProcedureFamily.Connection, SupportsFeature, BeforeOpen: true, Inline: true),
        new(1, "virConnectOpen", ProcedureFamily.Connection, Open, BeforeOpen: true, Inline: true),
        new(2, "virConnectClose", ProcedureFamily.Connection, Close, BeforeOpen: true, Inline: true),
        new(360, "virConnectRegisterCloseCallback", ProcedureFamily.Connection, _ => { }, Inline: true),
        new(361, "virConnectUnregisterCloseCallback", ProcedureFamily.Connection, _ => { }, Inline: true),
        new(3, "virConnectGetType", ProcedureFamily.Connection, GetType, Inline: true),
        new(157, "virConnectGetLibVersion", ProcedureFamily.Connection, c => c.Ret.WriteUHyper(LibVersion), Inline: true),
        new(110, "virConnectGetURI", ProcedureFamily.Connection, c => c.Ret.WriteString(c.Connection.OpenedName ?? "storage:///system"), Inline: true),
        new(149, "virConnectIsSecure", ProcedureFamily.Connection, c => c.Ret.WriteInt(1), Inline: true),
        new(7, "virConnectGetCapabilities", ProcedureFamily.Connection, GetCapabilities),
        // What a storage driver does not do: NO_SUPPORT under the DOMAIN domain, as libvirtd answers (#002, #003, #140).
        NotSupported(4, "virConnectGetVersion"),
        NotSupported(59, "virConnectGetHostname"),
        NotSupported(203, "virConnectGetSysinfo"),
        NotSupported(5, "virConnectGetMaxVcpus"),
    ];

    private static Procedure NotSupported(int number, string api) =>
        new(number, api, ProcedureFamily.Connection, c => throw new RpcFault(RemoteError.NoSupport(ErrorDomains.Domain, api)), Inline: true);

    /// <summary>The client is known by its peer credentials (checked on accept), so no further authentication is asked.</summary>
    private static void AuthList(CallContext call)
    {
        call.Connection.Authenticated = true;
        call.Ret.WriteUInt(1);
        call.Ret.WriteInt(0); // REMOTE_AUTH_NONE
    }

    private static void SupportsFeature(CallContext call)
    {
        int feature = call.Args.ReadInt();
        if (!call.Connection.Opened && feature != FeatureKeepalive)
            throw new RpcFault(RemoteError.Internal(ErrorDomains.Rpc, "hypervisor connection not open"));
        if (feature == FeatureKeepalive) call.Connection.KeepaliveRequested = true;
        call.Ret.WriteInt(feature is FeatureKeepalive or FeatureEventCallback or FeatureCloseCallback or FeatureFdPassing ? 1 : 0);
    }

    private static void Open(CallContext call)
    {
        string? name = call.Args.ReadOptionalString();
        uint flags = call.Args.ReadUInt();
        var connection = call.Connection;
        if (connection.Opened)
        {
            // libvirtd drops the open connection when a second open is tried (#150): later calls find it closed.
            connection.Opened = false;
            throw new RpcFault(RemoteError.Internal(ErrorDomains.Rpc, "connection already open"));
        }
        if (!string.IsNullOrEmpty(name)) CheckName(name, call.Host.IsSystem);
        connection.Opened = true;
        connection.OpenedName = string.IsNullOrEmpty(name) ? "storage:///system" : name;
        if ((flags & 1) != 0) connection.ReadOnly = true;
    }

    /// <summary>
    /// scheme:///system or scheme:///session for the schemes served. A system server refuses storage:///session and
    /// secret:///session as libvirtd does (#155), but takes qemu:///session, as libvirt lets root open it on the system
    /// daemon (root's `virsh -c qemu:///session`, which Cockpit spawns, reaches it); a session server (a user's own)
    /// answers both, since clients habitually say ///system.
    /// </summary>
    internal static void CheckName(string name, bool systemServer)
    {
        int colon = name.IndexOf(':');
        string scheme = colon > 0 ? name[..colon] : name;
        string rest = colon > 0 ? name[(colon + 1)..] : "";
        if (!Schemes.Contains(scheme) || !rest.StartsWith("///", StringComparison.Ordinal))
            throw new RpcFault(RemoteError.Make(ErrorNumbers.NoConnect, ErrorDomains.None, "", $"no connection driver available for {name}")
                with { Str1 = "no connection driver available for %s", Str2 = name });
        string path = rest[2..];
        int query = path.IndexOf('?');
        if (query >= 0) path = path[..query];
        if (path == "/system" || (path == "/session" && (!systemServer || scheme == "qemu"))) return;
        throw new RpcFault(RemoteError.Internal(ErrorDomains.None, $"unexpected {scheme} URI path '{path}', try {scheme}:///system"));
    }

    private static void Close(CallContext call)
    {
        call.Connection.Opened = false;
        call.ReplyNow();
        call.Connection.RequestClose();
    }

    /// <summary>The driver's name as libvirt's daemons give it: QEMU for a hypervisor connection.</summary>
    private static void GetType(CallContext call) =>
        call.Ret.WriteString(call.Connection.Hypervisor ? "QEMU"
            : call.Connection.OpenedName?.StartsWith("secret:", StringComparison.Ordinal) == true ? "secret" : "storage");

    /// <summary>The storage driver's capabilities: the pool types it can serve, in libvirt's registration order.</summary>
    private static void GetCapabilities(CallContext call)
    {
        var xml = new StringBuilder("<capabilities>\n\n  <pool>\n    <enum name='type'>\n");
        foreach (var type in PoolTypeInfo.All.OrderBy(i => i.RegistrationOrder).Select(i => i.Type))
            if (call.Host.Pools.IsTypeSupported(type))
                xml.Append("      <value>").Append(type.ToXmlName()).Append("</value>\n");
        xml.Append("    </enum>\n  </pool>\n\n</capabilities>\n");
        call.Ret.WriteString(xml.ToString());
    }
}
