using KvmStor.Engine;
using KvmStor.Model;
using KvmStor.Server.Dispatch;
using KvmStor.Server.Protocol;
using KvmStor.Server.Xdr;

namespace KvmStor.Server.Procedures;

/// <summary>
/// From the handles clients send back to engine objects and back (§3.1): a pool by its UUID, a volume by pool name
/// and volume name, a secret by UUID, as libvirtd resolves them.
/// </summary>
internal static class ObjectHandles
{
    public static PoolInfo ReadPool(CallContext call)
    {
        var handle = PoolHandle.Read(call.Args);
        try
        {
            return call.Host.Lookup.PoolByUuid(handle.Uuid.ToString("D"), handle.Name);
        }
        catch (StorageException e) when (e.Code == ErrorCode.NoStoragePool)
        {
            throw new StorageException(ErrorCode.NoStoragePool, $"no storage pool with matching uuid '{handle.Uuid:D}' ({handle.Name})");
        }
    }

    public static VolumeHandle ReadVolume(CallContext call)
    {
        var handle = VolumeHandleWire.Read(call.Args);
        return call.Host.Lookup.VolumeByName(handle.Pool, handle.Name);
    }

    public static SecretDefinition ReadSecret(CallContext call)
    {
        var handle = SecretHandle.Read(call.Args);
        return call.Host.Secrets.Lookup(handle.Uuid.ToString("D"));
    }

    public static void Write(XdrWriter w, PoolInfo pool) => new PoolHandle(pool.Name, pool.Uuid).Write(w);

    public static VolumeHandleWire Wire(VolumeHandle volume) =>
        new(volume.PoolName, volume.Name, volume.Volume.Key ?? volume.Volume.Target.Path ?? "");

    public static void Write(XdrWriter w, VolumeHandle volume) => Wire(volume).Write(w);

    public static SecretHandle Wire(SecretDefinition secret) => new(secret.Uuid, (int)secret.UsageType, secret.UsageId ?? "");

    public static void Write(XdrWriter w, SecretDefinition secret) => Wire(secret).Write(w);

    /// <summary>The legacy list calls' maxnames: at most the list cap, as the protocol bounds the reply.</summary>
    public static int ReadMaxNames(CallContext call, string what)
    {
        int max = call.Args.ReadInt();
        if (max < 0 || max > ProtocolLimits.ListMax)
            throw new RpcFault(RemoteError.Rpc($"maxnames > REMOTE_{what}_LIST_MAX"));
        return max;
    }

    public static void WriteNames(XdrWriter w, IEnumerable<string> names, int max)
    {
        var list = names.Take(max).ToList();
        w.WriteUInt((uint)list.Count);
        foreach (var name in list) w.WriteString(name);
    }
}
