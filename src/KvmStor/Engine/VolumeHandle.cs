using KvmStor.Model;

namespace KvmStor.Engine;

/// <summary>A volume and the pool it lives in.</summary>
public sealed record VolumeHandle(string PoolName, Guid PoolUuid, PoolType PoolType, VolumeDefinition Volume)
{
    public string Name => Volume.Name;
}
