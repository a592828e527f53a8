using KvmStor.Model;
using KvmStor.Server.Dispatch;
using KvmStor.Server.Protocol;
using static KvmStor.Server.Procedures.ObjectHandles;

namespace KvmStor.Server.Procedures;

/// <summary>Every storage volume procedure but the two streams (§8.2), each one engine call.</summary>
public static class VolumeProcedures
{
    private const ProcedureFamily F = ProcedureFamily.Storage;

    public static IEnumerable<Procedure> All =>
    [
        new(93, "virStorageVolCreateXML", F, CreateXml, Changes: true),
        new(125, "virStorageVolCreateXMLFrom", F, CreateXmlFrom, Changes: true),
        new(94, "virStorageVolDelete", F, Delete, Changes: true),
        new(95, "virStorageVolLookupByName", F, LookupByName),
        new(96, "virStorageVolLookupByKey", F, c => Write(c.Ret, c.Host.Lookup.VolumeByKey(c.Args.ReadString()))),
        new(97, "virStorageVolLookupByPath", F, c => Write(c.Ret, c.Host.Lookup.VolumeByPath(c.Args.ReadString()))),
        new(98, "virStorageVolGetInfo", F, c => WriteInfo(c, ReadVolume(c).Volume, physical: false)),
        new(378, "virStorageVolGetInfoFlags", F, GetInfoFlags),
        new(99, "virStorageVolGetXMLDesc", F, GetXmlDesc),
        new(100, "virStorageVolGetPath", F, GetPath),
        new(165, "virStorageVolWipe", F, Wipe, Changes: true),
        new(259, "virStorageVolWipePattern", F, WipePattern, Changes: true),
        new(260, "virStorageVolResize", F, Resize, Changes: true),
    ];

    // virStorageVolCreateFlags: PREALLOC_METADATA 1, REFLINK 2, VALIDATE 4 (the engine always validates).
    private const uint PreallocMetadata = 1, Reflink = 2, Validate = 4;

    private static void CreateXml(CallContext call)
    {
        var pool = ReadPool(call);
        string xml = call.Args.ReadString();
        uint flags = call.Args.ReadUInt();
        call.CheckFlags(flags, PreallocMetadata | Validate, "storageVolCreateXML");
        var created = call.Host.Volumes.Create(pool.Name, xml, (flags & PreallocMetadata) != 0 ? VolumeCreateFlags.PreallocMetadata : VolumeCreateFlags.None,
            null, call.Cancel);
        Write(call.Ret, created);
    }

    private static void CreateXmlFrom(CallContext call)
    {
        var pool = ReadPool(call);
        string xml = call.Args.ReadString();
        var source = ReadVolume(call);
        uint flags = call.Args.ReadUInt();
        call.CheckFlags(flags, PreallocMetadata | Reflink | Validate, "storageVolCreateXMLFrom");
        var create = VolumeCreateFlags.None;
        if ((flags & PreallocMetadata) != 0) create |= VolumeCreateFlags.PreallocMetadata;
        if ((flags & Reflink) != 0) create |= VolumeCreateFlags.Reflink;
        Write(call.Ret, call.Host.Volumes.CreateFrom(pool.Name, xml, source, create, null, call.Cancel));
    }

    /// <summary>ZEROED (1) only rbd accepts; WITH_SNAPSHOTS (2) is the engine's to judge.</summary>
    private static void Delete(CallContext call)
    {
        var volume = ReadVolume(call);
        uint flags = call.Args.ReadUInt();
        call.CheckFlags(flags, volume.PoolType == PoolType.Rbd ? 3u : 2u,
            volume.PoolType == PoolType.Rbd ? "virStorageBackendRBDDeleteVol" : "virStorageBackendVolDeleteLocal");
        call.Host.Volumes.Delete(volume, (flags & 2) != 0 ? VolumeDeleteFlags.DeleteSnapshots : VolumeDeleteFlags.None);
    }

    private static void LookupByName(CallContext call)
    {
        var pool = ReadPool(call);
        Write(call.Ret, call.Host.Lookup.VolumeByName(pool.Name, call.Args.ReadString()));
    }

    private static void GetInfoFlags(CallContext call)
    {
        var volume = ReadVolume(call);
        uint flags = call.Args.ReadUInt();
        call.CheckFlags(flags, 1, "storageVolGetInfoFlags");
        WriteInfo(call, volume.Volume, physical: (flags & 1) != 0);
    }

    /// <summary>type (a char: 4 bytes), capacity, allocation — or the physical size with GET_PHYSICAL.</summary>
    private static void WriteInfo(CallContext call, VolumeDefinition volume, bool physical)
    {
        call.Ret.WriteInt(volume.Type is { } type ? (int)type : -1);
        call.Ret.WriteUHyper(volume.Capacity);
        call.Ret.WriteUHyper(physical ? volume.Physical ?? 0 : volume.Allocation);
    }

    private static void GetXmlDesc(CallContext call)
    {
        var volume = ReadVolume(call);
        uint flags = call.Args.ReadUInt();
        call.CheckFlags(flags, 0, "storageVolGetXMLDesc");
        call.Ret.WriteString(call.Host.Volumes.GetXml(volume));
    }

    private static void GetPath(CallContext call)
    {
        var volume = ReadVolume(call);
        call.Ret.WriteString(volume.Volume.Target.Path
            ?? throw StorageException.Internal($"volume '{volume.Name}' has no path"));
    }

    private static void Wipe(CallContext call)
    {
        var volume = ReadVolume(call);
        uint flags = call.Args.ReadUInt();
        call.CheckFlags(flags, 0, "storageVolWipe");
        call.Host.Volumes.Wipe(volume, WipeAlgorithm.Zero, null, call.Cancel);
    }

    private static void WipePattern(CallContext call)
    {
        var volume = ReadVolume(call);
        uint algorithm = call.Args.ReadUInt();
        uint flags = call.Args.ReadUInt();
        call.CheckFlags(flags, 0, "storageVolWipePattern");
        if (algorithm > (uint)WipeAlgorithm.Trim)
            throw StorageException.InvalidArg($"wiping algorithm {algorithm} not supported");
        call.Host.Volumes.Wipe(volume, (WipeAlgorithm)algorithm, null, call.Cancel);
    }

    private static void Resize(CallContext call)
    {
        var volume = ReadVolume(call);
        ulong capacity = call.Args.ReadUHyper();
        uint flags = call.Args.ReadUInt();
        call.CheckFlags(flags, 7, "storageVolResize");
        call.Host.Volumes.Resize(volume, capacity, (VolumeResizeFlags)flags, cancel: call.Cancel);
    }
}
