using KvmStor.Guests;
using KvmStor.Server.Dispatch;
using KvmStor.Server.Protocol;
using static KvmStor.Server.Procedures.ObjectHandles;

namespace KvmStor.Server.Procedures;

/// <summary>
/// kvmstor's guest definitions as libvirt domains, for clients of qemu:///… (Cockpit's "Used by" and its protection
/// of used pools and volumes read them): every guest is a defined, persistent, shut-off domain. Starting one is
/// refused with one message; stopping calls find it not running, as libvirt finds a shut-off domain.
/// </summary>
public static class DomainProcedures
{
    private const ProcedureFamily F = ProcedureFamily.Domain;

    /// <summary>virDomainState VIR_DOMAIN_SHUTOFF, with reason VIR_DOMAIN_SHUTOFF_UNKNOWN (never started here).</summary>
    public const int StateShutoff = 5, ShutoffUnknown = 0;

    /// <summary>The refusal of every start: kvmstor keeps definitions, something else runs them.</summary>
    public static string NotRunningGuests(string name) =>
        $"kvmstor does not run guests: domain '{name}' is a definition only; start it with qemu " +
        $"(kvmstor domxml-to-native qemu-argv --domain {name}) or with libvirt";

    public static IEnumerable<Procedure> All =>
    [
        new(273, "virConnectListAllDomains", F, ListAll),
        new(51, "virConnectNumOfDomains", F, c => c.Ret.WriteInt(0)),
        new(37, "virConnectListDomains", F, ListRunningIds),
        new(25, "virConnectNumOfDefinedDomains", F, c => c.Ret.WriteInt(c.Host.Guests.List().Count)),
        new(21, "virConnectListDefinedDomains", F, c => WriteNames(c.Ret, c.Host.Guests.List().Select(g => g.Name), ReadMaxNames(c, "DOMAIN_NAME"))),
        new(22, "virDomainLookupByID", F, c => throw NoDomain($"no domain with matching id {c.Args.ReadInt()}")),
        new(23, "virDomainLookupByName", F, LookupByName),
        new(24, "virDomainLookupByUUID", F, LookupByUuid),
        new(14, "virDomainGetXMLDesc", F, GetXmlDesc),
        new(212, "virDomainGetState", F, GetState),
        new(16, "virDomainGetInfo", F, GetInfo),
        new(150, "virDomainIsActive", F, c => { Resolve(c); c.Ret.WriteInt(0); }),
        new(151, "virDomainIsPersistent", F, c => { Resolve(c); c.Ret.WriteInt(1); }),
        new(202, "virDomainIsUpdated", F, c => { Resolve(c); c.Ret.WriteInt(0); }),
        new(15, "virDomainGetAutostart", F, c => { Resolve(c); c.Ret.WriteInt(0); }),
        new(19, "virDomainGetOSType", F, c => c.Ret.WriteString(Resolve(c).OsType)),
        new(17, "virDomainGetMaxMemory", F, c => c.Ret.WriteUHyper(Resolve(c).MemoryKiB)),
        new(183, "virDomainHasManagedSaveImage", F, HasManagedSaveImage),
        new(187, "virDomainSnapshotNum", F, SnapshotNum),
        new(274, "virDomainListAllSnapshots", F, ListAllSnapshots),
        new(9, "virDomainCreate", F, c => Refuse(Resolve(c)), Changes: true),
        new(196, "virDomainCreateWithFlags", F, c => Refuse(Resolve(c)), Changes: true),
        new(12, "virDomainDestroy", F, c => NotRunning(Resolve(c)), Changes: true),
        new(234, "virDomainDestroyFlags", F, c => NotRunning(Resolve(c)), Changes: true),
        new(33, "virDomainShutdown", F, c => NotRunning(Resolve(c)), Changes: true),
        new(258, "virDomainShutdownFlags", F, c => NotRunning(Resolve(c)), Changes: true),
        new(27, "virDomainReboot", F, c => NotRunning(Resolve(c)), Changes: true),
        new(245, "virDomainReset", F, c => NotRunning(Resolve(c)), Changes: true),
        new(34, "virDomainSuspend", F, c => NotRunning(Resolve(c)), Changes: true),
        new(28, "virDomainResume", F, c => NotRunning(Resolve(c)), Changes: true),
    ];

    // virConnectListAllDomains filter groups (libvirt-domain.h): in each group with a bit set, a domain must have one of
    // that group's bits. A kvmstor guest is inactive, persistent, shut off, without managed save, autostart,
    // snapshots or checkpoints.
    private static readonly uint[] FilterGroups = [1 | 2, 4 | 8, 16 | 32 | 64 | 128, 256 | 512, 1024 | 2048, 4096 | 8192, 16384 | 32768];
    private const uint GuestBits = 2 | 4 | 64 | 512 | 2048 | 8192 | 32768;
    private const uint AllFilters = 0xFFFF;

    /// <summary>Whether a kvmstor guest passes virConnectListAllDomains' <paramref name="flags"/>.</summary>
    public static bool GuestMatches(uint flags) => FilterGroups.All(g => (flags & g) == 0 || (flags & g & GuestBits) != 0);

    private static void ListAll(CallContext call)
    {
        int needResults = call.Args.ReadInt();
        uint flags = call.Args.ReadUInt();
        call.CheckFlags(flags, AllFilters, "qemuConnectListAllDomains");
        var guests = GuestMatches(flags) ? call.Host.Guests.List() : [];
        PoolProcedures.WriteList(call, needResults, guests.Count, () =>
        {
            foreach (var g in guests) new DomainHandle(g.Name, g.Uuid, DomainHandle.NotRunning).Write(call.Ret);
        });
    }

    /// <summary>The ids of running domains: none (the maximum is still checked, as the protocol bounds the reply).</summary>
    private static void ListRunningIds(CallContext call)
    {
        int max = call.Args.ReadInt();
        if (max < 0 || max > Xdr.ProtocolLimits.ListMax)
            throw new RpcFault(RemoteError.Rpc("maxids > REMOTE_DOMAIN_LIST_MAX"));
        call.Ret.WriteUInt(0);
    }

    private static void LookupByName(CallContext call)
    {
        string name = call.Args.ReadString();
        var guest = Find(call, name) ?? throw NoDomain($"no domain with matching name '{name}'");
        Write(call, guest);
    }

    private static void LookupByUuid(CallContext call)
    {
        var uuid = call.Args.ReadUuid();
        var guest = call.Host.Guests.List().FirstOrDefault(g => g.Uuid == uuid)
                    ?? throw NoDomain($"no domain with matching uuid '{uuid:D}'");
        Write(call, Summary(call, guest.Name));
    }

    private static void Write(CallContext call, GuestSummary guest) =>
        new DomainHandle(guest.Name, guest.Uuid, DomainHandle.NotRunning).Write(call.Ret);

    /// <summary>
    /// The guest a domain handle names: by its name, checked against its uuid (one definition read), else by uuid
    /// (a guest renamed since the client looked it up), as libvirt resolves handles by uuid.
    /// </summary>
    private static GuestSummary Resolve(CallContext call)
    {
        var handle = DomainHandle.Read(call.Args);
        if (Find(call, handle.Name) is { } byName && byName.Uuid == handle.Uuid) return byName;
        var byUuid = call.Host.Guests.List().FirstOrDefault(g => g.Uuid == handle.Uuid);
        return byUuid is not null
            ? Summary(call, byUuid.Name)
            : throw NoDomain($"no domain with matching uuid '{handle.Uuid:D}' ({handle.Name})");
    }

    /// <summary>A guest by name; null when none has the name (or its definition no longer parses).</summary>
    private static GuestSummary? Find(CallContext call, string name)
    {
        if (!call.Host.Guests.Names().Contains(name)) return null;
        try { return call.Host.Guests.Summary(name); }
        catch (StorageException) { return null; }
    }

    private static GuestSummary Summary(CallContext call, string name) =>
        Find(call, name) ?? throw NoDomain($"no domain with matching name '{name}'");

    // VIR_DOMAIN_XML_SECURE, _INACTIVE, _UPDATE_CPU, _MIGRATABLE: a definition that never runs reads the same for each.
    private const uint XmlFlags = 1 | 2 | 4 | 8;

    private static void GetXmlDesc(CallContext call)
    {
        var guest = Resolve(call);
        uint flags = call.Args.ReadUInt();
        call.CheckFlags(flags, XmlFlags, "qemuDomainGetXMLDesc");
        // As libvirt reports a defined domain: the parts it fills in on define are added where the stored definition
        // lacks them (clients such as Cockpit's machines page parse them unchecked); the stored file stays as given.
        call.Ret.WriteString(DomainDefaults.Fill(call.Host.Guests.GetXml(guest.Name)));
    }

    private static void GetState(CallContext call)
    {
        Resolve(call);
        uint flags = call.Args.ReadUInt();
        call.CheckFlags(flags, 0, "qemuDomainGetState");
        call.Ret.WriteInt(StateShutoff);
        call.Ret.WriteInt(ShutoffUnknown);
    }

    /// <summary>remote_domain_get_info_ret: the state (an XDR unsigned char, one word), max and current memory in KiB, vcpus (an unsigned short, one word), cpu time.</summary>
    private static void GetInfo(CallContext call)
    {
        var guest = Resolve(call);
        call.Ret.WriteUInt(StateShutoff);
        call.Ret.WriteUHyper(guest.MemoryKiB);
        call.Ret.WriteUHyper(guest.CurrentMemoryKiB);
        call.Ret.WriteUInt((uint)Math.Min(guest.Vcpus, ushort.MaxValue));
        call.Ret.WriteUHyper(0);
    }

    private static void HasManagedSaveImage(CallContext call)
    {
        Resolve(call);
        call.CheckFlags(call.Args.ReadUInt(), 0, "qemuDomainHasManagedSaveImage");
        call.Ret.WriteInt(0);
    }

    private static void SnapshotNum(CallContext call)
    {
        Resolve(call);
        call.Args.ReadUInt(); // filter flags: no snapshot passes or fails any of them
        call.Ret.WriteInt(0);
    }

    /// <summary>remote_domain_list_all_snapshots_ret: no snapshots (kvmstor keeps none), then the count as an int.</summary>
    private static void ListAllSnapshots(CallContext call)
    {
        Resolve(call);
        call.Args.ReadInt(); // need_results
        call.Args.ReadUInt(); // flags
        call.Ret.WriteUInt(0);
        call.Ret.WriteInt(0);
    }

    private static void Refuse(GuestSummary guest) =>
        throw new RpcFault(RemoteError.Make(ErrorNumbers.OperationUnsupported, ErrorDomains.Qemu, "Operation not supported: ",
            NotRunningGuests(guest.Name)));

    private static void NotRunning(GuestSummary guest) =>
        throw new RpcFault(RemoteError.Make(ErrorNumbers.OperationInvalid, ErrorDomains.Qemu, "Requested operation is not valid: ",
            "domain is not running"));

    private static RpcFault NoDomain(string detail) =>
        new(RemoteError.Make(ErrorNumbers.NoDomain, ErrorDomains.Qemu, "Domain not found: ", detail));
}
