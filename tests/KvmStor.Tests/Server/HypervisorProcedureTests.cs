using System.Xml.Linq;
using KvmStor.Host;
using KvmStor.Server.Protocol;
using KvmStor.Server.Transport;
using KvmStor.Server.Xdr;

namespace KvmStor.Tests.Server;

/// <summary>
/// The hypervisor driver's calls (domains, host, networks, interfaces, node devices, their events) of an in-process
/// server, checked on the wire: the XDR layout of each reply, libvirt's error codes, and that only a qemu:///…
/// connection gets them.
/// </summary>
public sealed class HypervisorProcedureTests : IAsyncLifetime
{
    private const string GuestXml = """
        <domain type='kvm'>
          <name>vm1</name>
          <uuid>6f1b8d52-3a44-4a1e-9d0e-5b7c2f9e4a10</uuid>
          <memory unit='MiB'>512</memory>
          <currentMemory unit='MiB'>256</currentMemory>
          <vcpu>2</vcpu>
          <os><type arch='x86_64' machine='q35'>hvm</type></os>
          <devices>
            <disk type='file' device='disk'>
              <source file='/srv/images/vm1.qcow2'/>
              <target dev='vda' bus='virtio'/>
            </disk>
          </devices>
        </domain>

        """;

    private static readonly Guid GuestUuid = Guid.Parse("6f1b8d52-3a44-4a1e-9d0e-5b7c2f9e4a10");

    private readonly TempStateDirectory _state = new();
    private InProcessServer? _server;
    private string SocketPath => Path.Combine(_state.Root, "sock");

    public Task InitializeAsync()
    {
        var host = _state.OpenHost();
        host.Guests.Define(GuestXml);
        _server = new InProcessServer(host, new ServeOptions(SocketPath));
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        _server?.Dispose();
        _state.Dispose();
        return Task.CompletedTask;
    }

    private RawRpcClient Qemu(string uri = "qemu:///system") => new(SocketPath, uri);

    private static XdrWriter Args(Action<XdrWriter> write)
    {
        var w = new XdrWriter();
        write(w);
        return w;
    }

    private static XdrWriter Guest(uint? flags = null) => Args(w =>
    {
        new DomainHandle("vm1", GuestUuid, -1).Write(w);
        if (flags is { } f) w.WriteUInt(f);
    });

    [Fact]
    public void Guests_are_listed_as_defined_shut_off_domains_with_id_minus_one()
    {
        using var c = Qemu();
        var r = c.Ok(273, Args(w => { w.WriteInt(1); w.WriteUInt(0); }));
        Assert.Equal(1u, r.ReadUInt());
        Assert.Equal(new DomainHandle("vm1", GuestUuid, -1), DomainHandle.Read(r));
        Assert.Equal(1u, r.ReadUInt());
        Assert.Equal(0, r.Remaining);

        // Filters: inactive|shutoff|persistent keep it; active or running alone drop it; need_results 0 only counts.
        r = c.Ok(273, Args(w => { w.WriteInt(1); w.WriteUInt(2 | 4 | 64); }));
        Assert.Equal(1u, r.ReadUInt());
        r = c.Ok(273, Args(w => { w.WriteInt(1); w.WriteUInt(1); }));
        Assert.Equal(0u, r.ReadUInt());
        r = c.Ok(273, Args(w => { w.WriteInt(1); w.WriteUInt(16); }));
        Assert.Equal(0u, r.ReadUInt());
        r = c.Ok(273, Args(w => { w.WriteInt(0); w.WriteUInt(0); }));
        Assert.Equal(0u, r.ReadUInt());
        Assert.Equal(1u, r.ReadUInt());

        Assert.Equal(0, c.Ok(51).ReadInt());
        Assert.Equal(1, c.Ok(25).ReadInt());
        r = c.Ok(21, Args(w => w.WriteInt(10)));
        Assert.Equal(1u, r.ReadUInt());
        Assert.Equal("vm1", r.ReadString());
    }

    [Fact]
    public void A_domain_is_found_by_name_and_uuid_and_a_missing_one_is_NO_DOMAIN()
    {
        using var c = Qemu();
        Assert.Equal(new DomainHandle("vm1", GuestUuid, -1), DomainHandle.Read(c.Ok(23, Args(w => w.WriteString("vm1")))));
        Assert.Equal(new DomainHandle("vm1", GuestUuid, -1), DomainHandle.Read(c.Ok(24, Args(w => w.WriteUuid(GuestUuid)))));

        var e = c.Error(23, Args(w => w.WriteString("nosuch")));
        Assert.Equal((42, 10, "Domain not found: no domain with matching name 'nosuch'"), (e.Code, e.Domain, e.Message));
        var other = Guid.Parse("00000000-0000-0000-0000-000000000001");
        e = c.Error(24, Args(w => w.WriteUuid(other)));
        Assert.Equal((42, "Domain not found: no domain with matching uuid '00000000-0000-0000-0000-000000000001'"), (e.Code, e.Message));
        e = c.Error(22, Args(w => w.WriteInt(1)));
        Assert.Equal((42, "Domain not found: no domain with matching id 1"), (e.Code, e.Message));
        // A handle whose guest is gone (an event race in Cockpit): NO_DOMAIN naming uuid and name.
        e = c.Error(212, Args(w => { new DomainHandle("gone", other, -1).Write(w); w.WriteUInt(0); }));
        Assert.Equal((42, "Domain not found: no domain with matching uuid '00000000-0000-0000-0000-000000000001' (gone)"), (e.Code, e.Message));
    }

    [Fact]
    public void A_domain_reports_its_definition_state_and_info()
    {
        using var c = Qemu();
        string xml = c.Ok(14, Guest(flags: 1 | 2)).ReadString();
        Assert.Equal(GuestXml, xml);
        Assert.Equal("/srv/images/vm1.qcow2", XDocument.Parse(xml).Descendants("source").Single().Attribute("file")!.Value);

        var state = c.Ok(212, Guest(flags: 0));
        Assert.Equal((5, 0), (state.ReadInt(), state.ReadInt()));

        // remote_domain_get_info_ret: the unsigned char and unsigned short each take a whole XDR word.
        var info = c.Ok(16, Guest());
        Assert.Equal(5u, info.ReadUInt());
        Assert.Equal(512ul * 1024, info.ReadUHyper());
        Assert.Equal(256ul * 1024, info.ReadUHyper());
        Assert.Equal(2u, info.ReadUInt());
        Assert.Equal(0ul, info.ReadUHyper());
        Assert.Equal(0, info.Remaining);

        Assert.Equal(0, c.Ok(150, Guest()).ReadInt());
        Assert.Equal(1, c.Ok(151, Guest()).ReadInt());
        Assert.Equal(0, c.Ok(202, Guest()).ReadInt());
        Assert.Equal(0, c.Ok(15, Guest()).ReadInt());
        Assert.Equal("hvm", c.Ok(19, Guest()).ReadString());
        Assert.Equal(512ul * 1024, c.Ok(17, Guest()).ReadUHyper());
        Assert.Equal(0, c.Ok(183, Guest(flags: 0)).ReadInt());

        var snapshots = c.Ok(274, Args(w => { new DomainHandle("vm1", GuestUuid, -1).Write(w); w.WriteInt(1); w.WriteUInt(0); }));
        Assert.Equal((0u, 0), (snapshots.ReadUInt(), snapshots.ReadInt()));

        var e = c.Error(14, Guest(flags: 16));
        Assert.Equal((8, "unsupported flags (0x10) in function qemuDomainGetXMLDesc"), (e.Code, e.Message));
    }

    [Fact]
    public void A_minimal_definition_is_sent_with_the_parts_libvirt_fills_in_and_stays_stored_as_given()
    {
        const string minimal = "<domain type='qemu'>\n  <name>mini</name>\n  <uuid>0b5a4e3c-1d2e-4f60-8a7b-9c0d1e2f3a4b</uuid>\n"
            + "  <memory unit='MiB'>128</memory>\n  <os><type arch='x86_64'>hvm</type></os>\n</domain>\n";
        var host = _state.OpenHost();
        host.Guests.Define(minimal);
        using var c = Qemu();
        var handle = new DomainHandle("mini", Guid.Parse("0b5a4e3c-1d2e-4f60-8a7b-9c0d1e2f3a4b"), -1);
        string xml = c.Ok(14, Args(w => { handle.Write(w); w.WriteUInt(0); })).ReadString();
        Assert.Equal("<domain type='qemu'>\n  <name>mini</name>\n  <uuid>0b5a4e3c-1d2e-4f60-8a7b-9c0d1e2f3a4b</uuid>\n"
            + "  <memory unit='MiB'>128</memory>\n  <currentMemory unit='KiB'>131072</currentMemory>\n  <vcpu placement='static'>1</vcpu>\n"
            + "  <os><type arch='x86_64' machine='pc'>hvm</type></os>\n  <devices/>\n</domain>\n", xml);
        Assert.Equal(minimal, host.Guests.GetXml("mini"));
    }

    [Fact]
    public void Starting_a_domain_is_refused_and_stopping_finds_it_not_running()
    {
        using var c = Qemu();
        foreach (var (procedure, args) in new[] { (9, Guest()), (196, Guest(flags: 0)) })
        {
            var e = c.Error(procedure, args);
            Assert.Equal((84, 10), (e.Code, e.Domain));
            Assert.Equal("Operation not supported: kvmstor does not run guests: domain 'vm1' is a definition only; start it with qemu "
                         + "(kvmstor domxml-to-native qemu-argv --domain vm1) or with libvirt", e.Message);
        }
        var stop = c.Error(234, Guest(flags: 0));
        Assert.Equal((55, "Requested operation is not valid: domain is not running"), (stop.Code, stop.Message));
    }

    [Fact]
    public void Networks_interfaces_and_node_devices_are_empty_lists_and_lookups_find_none()
    {
        using var c = Qemu();
        foreach (int procedure in new[] { 283, 284, 285 })
        {
            var r = c.Ok(procedure, Args(w => { w.WriteInt(1); w.WriteUInt(0); }));
            Assert.Equal((0u, 0u), (r.ReadUInt(), r.ReadUInt()));
            Assert.Equal(0, r.Remaining);
        }
        Assert.Equal(0, c.Ok(52).ReadInt());
        Assert.Equal(0, c.Ok(111, Args(w => { w.WriteOptionalString(null); w.WriteUInt(0); })).ReadInt());
        var e = c.Error(47, Args(w => w.WriteUuid(GuestUuid)));
        Assert.Equal((43, 19), (e.Code, e.Domain));
        e = c.Error(129, Args(w => w.WriteString("52:54:00:00:00:01")));
        Assert.Equal((57, 26, "Interface not found: couldn't find interface with MAC address '52:54:00:00:00:01'"), (e.Code, e.Domain, e.Message));
        e = c.Error(113, Args(w => w.WriteString("net_lo_00_00_00_00_00_00")));
        Assert.Equal((53, 22), (e.Code, e.Domain));
    }

    [Fact]
    public void Memory_stats_come_from_proc_meminfo_in_libvirts_two_step_form()
    {
        using var c = Qemu();
        var count = c.Ok(228, Args(w => { w.WriteInt(0); w.WriteInt(-1); w.WriteUInt(0); }));
        Assert.Equal((0u, 4), (count.ReadUInt(), count.ReadInt()));

        var r = c.Ok(228, Args(w => { w.WriteInt(4); w.WriteInt(-1); w.WriteUInt(0); }));
        Assert.Equal(4u, r.ReadUInt());
        var fields = Enumerable.Range(0, 4).Select(_ => (r.ReadString(), r.ReadUHyper())).ToList();
        Assert.Equal(4, r.ReadInt());
        Assert.Equal(["total", "free", "buffers", "cached"], fields.Select(f => f.Item1));
        var meminfo = HostMemory.Parse(File.ReadAllText("/proc/meminfo"));
        Assert.Equal(meminfo["MemTotal"], fields[0].Item2);
        Assert.InRange(fields[1].Item2, 1ul, fields[0].Item2);

        var e = c.Error(228, Args(w => { w.WriteInt(4); w.WriteInt(4096); w.WriteUInt(0); }));
        Assert.Equal(8, e.Code);
    }

    [Fact]
    public void Node_info_carries_the_model_as_32_xdr_chars_then_memory_and_topology()
    {
        using var c = Qemu();
        var r = c.Ok(6);
        var model = new string(Enumerable.Range(0, 32).Select(_ => (char)r.ReadInt()).ToArray()).TrimEnd('\0');
        Assert.Equal(HostCpus.Read().Model, model);
        Assert.Equal(HostMemory.TotalKiB(), r.ReadUHyper());
        int cpus = r.ReadInt();
        Assert.Equal(Environment.ProcessorCount, cpus);
        r.ReadInt(); // mhz: whatever the kernel says
        int nodes = r.ReadInt(), sockets = r.ReadInt(), cores = r.ReadInt(), threads = r.ReadInt();
        Assert.Equal(cpus, nodes * sockets * cores * threads);
        Assert.Equal(0, r.Remaining);
    }

    [Fact]
    public void Domain_capabilities_list_the_disk_buses_kvmstor_accepts()
    {
        using var c = Qemu();
        var xml = c.Ok(342, Args(w =>
        {
            w.WriteOptionalString(null);
            w.WriteOptionalString("x86_64");
            w.WriteOptionalString("q35");
            w.WriteOptionalString(null);
            w.WriteUInt(0);
        })).ReadString();
        var root = XDocument.Parse(xml).Root!;
        Assert.Equal("domainCapabilities", root.Name.LocalName);
        Assert.Equal("q35", root.Element("machine")!.Value);
        Assert.Equal("x86_64", root.Element("arch")!.Value);
        var buses = root.Descendants("enum").Single(e => e.Attribute("name")!.Value == "bus").Elements("value").Select(v => v.Value);
        Assert.Equal(KvmStor.Guests.DiskRules.Buses, buses);
    }

    [Fact]
    public void Domain_network_and_node_device_event_callbacks_register_and_deregister()
    {
        using var c = Qemu();
        var ids = new List<int>();
        foreach (var (register, eventId) in new[] { (316, 0), (316, 26), (313, 0), (374, 1) })
            ids.Add(c.Ok(register, Args(w => { w.WriteInt(eventId); w.WriteBool(false); })).ReadInt());
        Assert.Equal(ids.Order(), ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());

        var e = c.Error(316, Args(w => { w.WriteInt(27); w.WriteBool(false); }));
        Assert.Equal((1, "internal error: unsupported event ID 27"), (e.Code, e.Message));
        e = c.Error(313, Args(w => { w.WriteInt(1); w.WriteBool(false); }));
        Assert.Equal("internal error: unsupported network event ID 1", e.Message);

        c.Ok(317, Args(w => w.WriteInt(ids[0])));
        e = c.Error(317, Args(w => w.WriteInt(ids[0])));
        Assert.Equal($"internal error: domain event callback {ids[0]} not registered", e.Message);
        // A callback id belongs to its family: the network one is not a domain callback.
        Assert.Equal(1, c.Error(317, Args(w => w.WriteInt(ids[2]))).Code);
        c.Ok(314, Args(w => w.WriteInt(ids[2])));
        c.Ok(375, Args(w => w.WriteInt(ids[3])));
    }

    [Fact]
    public void A_storage_connection_answers_the_hypervisor_calls_NO_SUPPORT_as_virtstoraged()
    {
        using var c = new RawRpcClient(SocketPath, "storage:///system");
        var e = c.Error(273, Args(w => { w.WriteInt(1); w.WriteUInt(0); }));
        Assert.Equal((3, 20, "this function is not supported by the connection driver: virConnectListAllDomains"), (e.Code, e.Domain, e.Message));
        Assert.Equal("virNodeGetInfo", c.Error(6).Str2);
        Assert.Equal("virConnectDomainEventRegisterAny", c.Error(316, Args(w => { w.WriteInt(0); w.WriteBool(false); })).Str2);
        Assert.Equal("storage", c.Ok(3).ReadString());
    }

    [Fact]
    public void Qemu_session_opens_and_both_qemu_uris_report_the_QEMU_driver()
    {
        using var system = Qemu();
        Assert.Equal("QEMU", system.Ok(3).ReadString());
        Assert.Equal("qemu:///system", system.Ok(110).ReadString());
        using var session = Qemu("qemu:///session");
        Assert.Equal("qemu:///session", session.Ok(110).ReadString());
        Assert.Equal(9_000_000ul, session.Ok(157).ReadUHyper());
    }
}

/// <summary>Which connection names a system server (root's, on libvirtd's socket) takes.</summary>
public sealed class ConnectionNameTests
{
    [Theory]
    [InlineData("qemu:///system")]
    [InlineData("qemu:///session")]
    [InlineData("storage:///system")]
    [InlineData("secret:///system")]
    public void A_system_server_takes_qemu_session_as_root_libvirtd_does(string name) =>
        KvmStor.Server.Procedures.ConnectionProcedures.CheckName(name, systemServer: true);

    [Theory]
    [InlineData("storage:///session", "internal error: unexpected storage URI path '/session', try storage:///system")]
    [InlineData("xen:///system", "no connection driver available for xen:///system")]
    public void A_system_server_still_refuses_what_libvirtd_refuses(string name, string message)
    {
        var fault = Assert.Throws<KvmStor.Server.Dispatch.RpcFault>(() => KvmStor.Server.Procedures.ConnectionProcedures.CheckName(name, systemServer: true));
        Assert.Equal(message, fault.Error.Message);
    }
}
