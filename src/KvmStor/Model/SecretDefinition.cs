namespace KvmStor.Model;

/// <summary>libvirt's secret usage types; <see cref="None"/> is a secret not tied to any use.</summary>
public enum SecretUsageType { None, Volume, Ceph, Iscsi, Tls, Vtpm }

/// <summary>A secret's definition (never its value): what libvirt's &lt;secret&gt; XML holds.</summary>
/// <param name="UsageId">The volume path, ceph name, iscsi target, tls or vtpm name; null for <see cref="SecretUsageType.None"/>.</param>
public sealed record SecretDefinition(
    Guid Uuid,
    bool Ephemeral,
    bool Private,
    string? Description,
    SecretUsageType UsageType,
    string? UsageId)
{
    /// <summary>"iscsi", "ceph", …: the usage type's XML name.</summary>
    public static string UsageTypeName(SecretUsageType type) => type switch
    {
        SecretUsageType.Volume => "volume",
        SecretUsageType.Ceph => "ceph",
        SecretUsageType.Iscsi => "iscsi",
        SecretUsageType.Tls => "tls",
        SecretUsageType.Vtpm => "vtpm",
        _ => "none",
    };

    public static SecretUsageType? ParseUsageType(string text) => text switch
    {
        "none" => SecretUsageType.None,
        "volume" => SecretUsageType.Volume,
        "ceph" => SecretUsageType.Ceph,
        "iscsi" => SecretUsageType.Iscsi,
        "tls" => SecretUsageType.Tls,
        "vtpm" => SecretUsageType.Vtpm,
        _ => null,
    };
}
