using KvmStor.Engine;
using KvmStor.Model;
using KvmStor.Server.Dispatch;
using KvmStor.Server.Protocol;
using static KvmStor.Server.Procedures.ObjectHandles;

namespace KvmStor.Server.Procedures;

/// <summary>Every storage pool procedure (§8.1), each one engine call.</summary>
public static class PoolProcedures
{
    private const ProcedureFamily F = ProcedureFamily.Storage;

    public static IEnumerable<Procedure> All =>
    [
        new(71, "virConnectNumOfStoragePools", F, c => c.Ret.WriteInt(c.Host.Pools.Names(active: true).Count)),
        new(72, "virConnectListStoragePools", F, c => ListNames(c, active: true, "STORAGE_POOL_NAME")),
        new(73, "virConnectNumOfDefinedStoragePools", F, c => c.Ret.WriteInt(c.Host.Pools.Names(active: false).Count)),
        new(74, "virConnectListDefinedStoragePools", F, c => ListNames(c, active: false, "STORAGE_POOL_NAME")),
        new(75, "virConnectFindStoragePoolSources", F, FindSources, Changes: true),
        new(76, "virStoragePoolCreateXML", F, CreateXml, Changes: true),
        new(77, "virStoragePoolDefineXML", F, DefineXml, Changes: true),
        new(78, "virStoragePoolCreate", F, Create, Changes: true),
        new(79, "virStoragePoolBuild", F, Build, Changes: true),
        new(80, "virStoragePoolDestroy", F, c => c.Host.Pools.Destroy(ReadPool(c).Name), Changes: true),
        new(81, "virStoragePoolDelete", F, Delete, Changes: true),
        new(82, "virStoragePoolUndefine", F, c => c.Host.Pools.Undefine(ReadPool(c).Name), Changes: true),
        new(83, "virStoragePoolRefresh", F, Refresh, Changes: true),
        new(84, "virStoragePoolLookupByName", F, c => Write(c.Ret, c.Host.Lookup.PoolByName(c.Args.ReadString()))),
        new(85, "virStoragePoolLookupByUUID", F, c => Write(c.Ret, c.Host.Lookup.PoolByUuid(c.Args.ReadUuid().ToString("D")))),
        new(86, "virStoragePoolLookupByVolume", F, c => Write(c.Ret, c.Host.Lookup.PoolOfVolume(ReadVolume(c)))),
        new(87, "virStoragePoolGetInfo", F, GetInfo),
        new(88, "virStoragePoolGetXMLDesc", F, GetXmlDesc),
        new(89, "virStoragePoolGetAutostart", F, c => c.Ret.WriteBool(ReadPool(c).Autostart)),
        new(90, "virStoragePoolSetAutostart", F, SetAutostart, Changes: true),
        new(91, "virStoragePoolNumOfVolumes", F, c => c.Ret.WriteInt(c.Host.Volumes.List(ReadPool(c).Name).Count)),
        new(92, "virStoragePoolListVolumes", F, ListVolumeNames),
        new(154, "virStoragePoolIsActive", F, c => c.Ret.WriteBool(ReadPool(c).Active)),
        new(155, "virStoragePoolIsPersistent", F, c => c.Ret.WriteBool(ReadPool(c).Persistent)),
        new(281, "virConnectListAllStoragePools", F, ListAll),
        new(282, "virStoragePoolListAllVolumes", F, ListAllVolumes),
        new(391, "virStoragePoolLookupByTargetPath", F, c => Write(c.Ret, c.Host.Lookup.PoolByTargetPath(c.Args.ReadString()))),
        new(403, "virConnectGetStoragePoolCapabilities", F, GetCapabilities),
    ];

    private static void ListNames(CallContext call, bool active, string what)
    {
        int max = ReadMaxNames(call, what);
        WriteNames(call.Ret, call.Host.Pools.Names(active: active), max);
    }

    private static void FindSources(CallContext call)
    {
        string type = call.Args.ReadString();
        string? spec = call.Args.ReadOptionalString();
        uint flags = call.Args.ReadUInt();
        call.CheckFlags(flags, 0, "virConnectFindStoragePoolSources");
        call.Ret.WriteString(call.Host.Pools.FindSources(type, spec));
    }

    /// <summary>VIR_STORAGE_POOL_CREATE_WITH_BUILD (1), _OVERWRITE (2), _NO_OVERWRITE (4): each one builds first.</summary>
    private static PoolBuildFlags CreateFlags(CallContext call, uint flags, string function)
    {
        call.CheckFlags(flags, 7, function);
        if ((flags & 6) == 6)
            throw new StorageException(ErrorCode.InvalidArgument, "Options --overwrite and --no-overwrite are mutually exclusive");
        var build = PoolBuildFlags.None;
        if (flags != 0) build |= PoolBuildFlags.Build;
        if ((flags & 2) != 0) build |= PoolBuildFlags.Overwrite;
        if ((flags & 4) != 0) build |= PoolBuildFlags.NoOverwrite;
        return build;
    }

    private static void CreateXml(CallContext call)
    {
        string xml = call.Args.ReadString();
        uint flags = call.Args.ReadUInt();
        Write(call.Ret, call.Host.Pools.Create(xml, CreateFlags(call, flags, "storagePoolCreateXML")));
    }

    private static void DefineXml(CallContext call)
    {
        string xml = call.Args.ReadString();
        uint flags = call.Args.ReadUInt();
        call.CheckFlags(flags, 1, "storagePoolDefineXML"); // VALIDATE: the engine always validates
        Write(call.Ret, call.Host.Pools.Define(xml));
    }

    private static void Create(CallContext call)
    {
        var pool = ReadPool(call);
        uint flags = call.Args.ReadUInt();
        call.Host.Pools.Start(pool.Name, CreateFlags(call, flags, "storagePoolCreate"));
    }

    /// <summary>VIR_STORAGE_POOL_BUILD_REPAIR (1) is nobody's; NO_OVERWRITE (4) and OVERWRITE (8) exclude each other.</summary>
    private static void Build(CallContext call)
    {
        var pool = ReadPool(call);
        uint flags = call.Args.ReadUInt();
        call.CheckFlags(flags, 4 | 8, "storagePoolBuild");
        // libvirt checks the state before the backend looks at the flags.
        if (pool.Active) throw StorageException.Invalid($"storage pool '{pool.Name}' is already active");
        var build = PoolBuildFlags.None;
        if ((flags & 4) != 0) build |= PoolBuildFlags.NoOverwrite;
        if ((flags & 8) != 0) build |= PoolBuildFlags.Overwrite;
        call.Host.Pools.Build(pool.Name, build);
    }

    private static void Delete(CallContext call)
    {
        var pool = ReadPool(call);
        uint flags = call.Args.ReadUInt();
        call.CheckFlags(flags, 0, "storagePoolDelete");
        call.Host.Pools.Delete(pool.Name);
    }

    private static void Refresh(CallContext call)
    {
        var pool = ReadPool(call);
        uint flags = call.Args.ReadUInt();
        call.CheckFlags(flags, 0, "storagePoolRefresh");
        call.Host.Pools.Refresh(pool.Name);
    }

    /// <summary>An inactive pool reports state 0 and zero sizes (#013).</summary>
    private static void GetInfo(CallContext call)
    {
        var pool = ReadPool(call);
        call.Ret.WriteInt((int)pool.State);
        call.Ret.WriteUHyper(pool.Active ? pool.Capacity : 0);
        call.Ret.WriteUHyper(pool.Active ? pool.Allocation : 0);
        call.Ret.WriteUHyper(pool.Active ? pool.Available : 0);
    }

    private static void GetXmlDesc(CallContext call)
    {
        var pool = ReadPool(call);
        uint flags = call.Args.ReadUInt();
        call.CheckFlags(flags, 1, "storagePoolGetXMLDesc");
        call.Ret.WriteString(call.Host.Pools.GetXml(pool.Name, inactive: (flags & 1) != 0));
    }

    private static void SetAutostart(CallContext call)
    {
        var pool = ReadPool(call);
        int autostart = call.Args.ReadInt();
        call.Host.Pools.SetAutostart(pool.Name, autostart != 0);
    }

    private static void ListVolumeNames(CallContext call)
    {
        var pool = ReadPool(call);
        int max = ReadMaxNames(call, "STORAGE_VOL_NAME");
        WriteNames(call.Ret, call.Host.Volumes.List(pool.Name).Select(v => v.Name), max);
    }

    // virConnectListAllStoragePools filter bits (§8.4): state, persistence, autostart, then one bit per pool type.
    private const uint Inactive = 1, Active = 2, Persistent = 4, Transient = 8, Autostart = 16, NoAutostart = 32;
    private const int FirstTypeBit = 6;
    private static readonly PoolType[] TypeBits = PoolTypeInfo.All.OrderBy(i => i.ListFilterBit).Select(i => i.Type).ToArray();

    private static void ListAll(CallContext call)
    {
        int needResults = call.Args.ReadInt();
        uint flags = call.Args.ReadUInt();
        call.CheckFlags(flags, (1u << (FirstTypeBit + TypeBits.Length)) - 1, "virConnectListAllStoragePools");
        var types = new HashSet<PoolType>();
        for (int i = 0; i < TypeBits.Length; i++)
            if ((flags & (1u << (FirstTypeBit + i))) != 0) types.Add(TypeBits[i]);
        var filter = new PoolListFilter
        {
            Active = Either(flags, Active, Inactive),
            Persistent = Either(flags, Persistent, Transient),
            Autostart = Either(flags, Autostart, NoAutostart),
            Types = types,
        };
        var pools = call.Host.Pools.List(filter);
        WriteList(call, needResults, pools.Count, () => { foreach (var p in pools) Write(call.Ret, p); });
    }

    /// <summary>A group of two bits: one set means that value, both or neither mean "either".</summary>
    private static bool? Either(uint flags, uint yes, uint no) =>
        ((flags & yes) != 0, (flags & no) != 0) switch { (true, false) => true, (false, true) => false, _ => null };

    private static void ListAllVolumes(CallContext call)
    {
        var pool = ReadPool(call);
        int needResults = call.Args.ReadInt();
        uint flags = call.Args.ReadUInt();
        call.CheckFlags(flags, 0, "storagePoolListAllVolumes");
        if (!pool.Active) throw StorageException.Invalid($"storage pool '{pool.Name}' is not active");
        var volumes = call.Host.Volumes.List(pool.Name);
        WriteList(call, needResults, volumes.Count, () =>
        {
            foreach (var v in volumes)
                new VolumeHandleWire(pool.Name, v.Name, v.Key ?? v.Target.Path ?? "").Write(call.Ret);
        });
    }

    /// <summary>need_results 0: an empty array and the count; otherwise the array and its length.</summary>
    internal static void WriteList(CallContext call, int needResults, int count, Action writeItems)
    {
        if (count > Xdr.ProtocolLimits.ListMax) throw new RpcFault(RemoteError.Rpc($"too many items in a list ({count})"));
        if (needResults != 0)
        {
            call.Ret.WriteUInt((uint)count);
            writeItems();
        }
        else call.Ret.WriteUInt(0);
        call.Ret.WriteUInt((uint)count);
    }

    private static void GetCapabilities(CallContext call)
    {
        uint flags = call.Args.ReadUInt();
        call.CheckFlags(flags, 0, "virConnectGetStoragePoolCapabilities");
        call.Ret.WriteString(call.Host.Pools.GetCapabilitiesXml());
    }
}
