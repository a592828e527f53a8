using KvmStor.Server.Xdr;

namespace KvmStor.Server.Protocol;

/// <summary>remote_nonnull_storage_pool: what a client holds for a pool (§3.1).</summary>
public readonly record struct PoolHandle(string Name, Guid Uuid)
{
    public static PoolHandle Read(XdrReader r) => new(r.ReadString(), r.ReadUuid());

    public void Write(XdrWriter w)
    {
        w.WriteString(Name);
        w.WriteUuid(Uuid);
    }
}

/// <summary>remote_nonnull_storage_vol: pool name, volume name, key.</summary>
public readonly record struct VolumeHandleWire(string Pool, string Name, string Key)
{
    public static VolumeHandleWire Read(XdrReader r) => new(r.ReadString(), r.ReadString(), r.ReadString());

    public void Write(XdrWriter w)
    {
        w.WriteString(Pool);
        w.WriteString(Name);
        w.WriteString(Key);
    }
}

/// <summary>remote_nonnull_secret: uuid, usage type, usage id.</summary>
public readonly record struct SecretHandle(Guid Uuid, int UsageType, string UsageId)
{
    public static SecretHandle Read(XdrReader r) => new(r.ReadUuid(), r.ReadInt(), r.ReadString());

    public void Write(XdrWriter w)
    {
        w.WriteUuid(Uuid);
        w.WriteInt(UsageType);
        w.WriteString(UsageId);
    }
}

/// <summary>remote_nonnull_domain: name, uuid, and the running id (-1 for a domain that is not running).</summary>
public readonly record struct DomainHandle(string Name, Guid Uuid, int Id)
{
    public const int NotRunning = -1;

    public static DomainHandle Read(XdrReader r) => new(r.ReadString(), r.ReadUuid(), r.ReadInt());

    public void Write(XdrWriter w)
    {
        w.WriteString(Name);
        w.WriteUuid(Uuid);
        w.WriteInt(Id);
    }
}

/// <summary>remote_nonnull_network: name, uuid.</summary>
public readonly record struct NetworkHandle(string Name, Guid Uuid)
{
    public static NetworkHandle Read(XdrReader r) => new(r.ReadString(), r.ReadUuid());
}

/// <summary>remote_nonnull_node_device: its name.</summary>
public readonly record struct NodeDeviceHandle(string Name)
{
    public static NodeDeviceHandle Read(XdrReader r) => new(r.ReadString());
}
