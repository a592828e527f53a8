namespace KvmStor.Model;

/// <summary>Owner, group, mode and security label of a pool target or volume. Null means "not set" (libvirt's -1).</summary>
public sealed record Permissions
{
    public int? Mode { get; init; }
    public long? Owner { get; init; }
    public long? Group { get; init; }
    public string? Label { get; init; }

    public bool IsEmpty => Mode is null && Owner is null && Group is null && Label is null;
}
