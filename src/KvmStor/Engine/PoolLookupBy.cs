namespace KvmStor.Engine;

/// <summary>How a pool argument may be matched (virsh's VIRSH_BYNAME / VIRSH_BYUUID).</summary>
public enum PoolLookupBy { NameOrUuid, Name, Uuid }
