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
