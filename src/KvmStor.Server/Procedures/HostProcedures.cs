using System.Text;
using System.Xml.Linq;
using KvmStor.Guests;
using KvmStor.Host;
using KvmStor.Server.Dispatch;
using KvmStor.Server.Protocol;

namespace KvmStor.Server.Procedures;

/// <summary>
/// The host facts a hypervisor connection (qemu:///…) answers: node info and memory statistics from the kernel, and
/// the domain capabilities that describe the guests kvmstor defines (Cockpit reads them for every domain it shows).
/// </summary>
public static class HostProcedures
{
    private const ProcedureFamily F = ProcedureFamily.Host;

    /// <summary>REMOTE_NODE_MEMORY_STATS_MAX: the most fields a reply may carry.</summary>
    private const int MemoryStatsMax = 16;

    public static IEnumerable<Procedure> All =>
    [
        new(6, "virNodeGetInfo", F, c => NodeInfoWire.Write(c.Ret, HostCpus.Read(), HostMemory.TotalKiB())),
        new(228, "virNodeGetMemoryStats", F, GetMemoryStats),
        new(342, "virConnectGetDomainCapabilities", F, GetDomainCapabilities),
    ];

    /// <summary>
    /// remote_node_get_memory_stats: asked with nparams 0, the reply is no fields and how many there are (4);
    /// otherwise the fields (total, free, buffers, cached in KiB) of the host (cellNum -1) or of one NUMA cell.
    /// </summary>
    private static void GetMemoryStats(CallContext call)
    {
        int nparams = call.Args.ReadInt();
        int cell = call.Args.ReadInt();
        uint flags = call.Args.ReadUInt();
        if (nparams < 0 || nparams > MemoryStatsMax)
            throw new RpcFault(RemoteError.Rpc("nparams too large"));
        call.CheckFlags(flags, 0, "virHostMemGetStats");
        int fields = HostMemory.Fields.Count;
        if (nparams == 0)
        {
            call.Ret.WriteUInt(0);
            call.Ret.WriteInt(fields);
            return;
        }
        if (nparams < fields)
            throw new RpcFault(RemoteError.Make(ErrorNumbers.InvalidArg, ErrorDomains.None, "invalid argument: ",
                $"nparams in virHostMemGetStats must be {fields}"));
        if (cell < -1 || cell >= HostMemory.CellCount())
            throw new RpcFault(RemoteError.Make(ErrorNumbers.InvalidArg, ErrorDomains.None, "invalid argument: ",
                $"cellNum in virHostMemGetStats must be less than or equal to {HostMemory.CellCount() - 1}"));
        var stats = HostMemory.Stats(cell)
                    ?? throw new RpcFault(RemoteError.Make(ErrorNumbers.InternalError, ErrorDomains.None, "internal error: ",
                        "cannot read the host's memory statistics"));
        call.Ret.WriteUInt((uint)stats.Count);
        foreach (var (field, kib) in stats)
        {
            call.Ret.WriteString(field);
            call.Ret.WriteUHyper(kib);
        }
        call.Ret.WriteInt(stats.Count);
    }

    /// <summary>remote_connect_get_domain_capabilities: emulator, arch, machine, virttype (each optional), flags.</summary>
    private static void GetDomainCapabilities(CallContext call)
    {
        string? emulator = call.Args.ReadOptionalString();
        string? arch = call.Args.ReadOptionalString();
        string? machine = call.Args.ReadOptionalString();
        string? virtType = call.Args.ReadOptionalString();
        uint flags = call.Args.ReadUInt();
        call.CheckFlags(flags, 0, "virConnectGetDomainCapabilities");
        call.Ret.WriteString(DomainCapabilitiesXml(HostCpus.Read(), emulator, arch, machine, virtType));
    }

    /// <summary>
    /// What a guest defined with kvmstor may use, in libvirt's domainCapabilities format: its disk devices and buses
    /// (the ones attach-disk and domxml-to-native accept) and at most as many vcpus as the host has.
    /// </summary>
    public static string DomainCapabilitiesXml(HostCpus host, string? emulator, string? arch, string? machine, string? virtType)
    {
        arch = string.IsNullOrEmpty(arch) ? host.Model : arch;
        var root = new XElement("domainCapabilities",
            new XElement("path", string.IsNullOrEmpty(emulator) ? "/usr/bin/" + QemuArgvBuilder.Emulator : emulator),
            new XElement("domain", string.IsNullOrEmpty(virtType) ? "kvm" : virtType),
            new XElement("machine", string.IsNullOrEmpty(machine) ? "pc" : machine),
            new XElement("arch", arch),
            new XElement("vcpu", new XAttribute("max", host.Cpus)),
            new XElement("os", new XAttribute("supported", "yes"),
                new XElement("loader", new XAttribute("supported", "no"))),
            new XElement("cpu",
                new XElement("mode", new XAttribute("name", "host-passthrough"), new XAttribute("supported", "yes")),
                new XElement("mode", new XAttribute("name", "host-model"), new XAttribute("supported", "no")),
                new XElement("mode", new XAttribute("name", "custom"), new XAttribute("supported", "no"))),
            new XElement("devices",
                new XElement("disk", new XAttribute("supported", "yes"),
                    Enum("diskDevice", ["disk", "cdrom", "floppy", "lun"]),
                    Enum("bus", DiskRules.Buses))));
        var text = new StringBuilder(root.ToString()).Append('\n');
        return text.ToString();
    }

    private static XElement Enum(string name, IEnumerable<string> values) =>
        new("enum", new XAttribute("name", name), values.Select(v => new XElement("value", v)));
}
