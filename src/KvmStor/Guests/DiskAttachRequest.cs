namespace KvmStor.Guests;

/// <summary>
/// attach-disk's options: a source (a path, or a pool volume), where it goes, and how qemu should open it.
/// Null means "not given"; the engine fills the target name, bus and driver type.
/// </summary>
public sealed record DiskAttachRequest
{
    /// <summary>A host path (file or block device) or, with <see cref="SourceType"/> network, protocol:name.</summary>
    public string? Source { get; init; }
    public string? Pool { get; init; }
    public string? Volume { get; init; }
    public string? Target { get; init; }
    public string? TargetBus { get; init; }
    /// <summary>&lt;driver name&gt;: qemu unless given.</summary>
    public string? Driver { get; init; }
    /// <summary>&lt;driver type&gt;: the image format (raw, qcow2…).</summary>
    public string? Subdriver { get; init; }
    public string? Cache { get; init; }
    /// <summary>&lt;driver iothread&gt;: the IOThread number that serves the disk.</summary>
    public string? IoThread { get; init; }
    public string? Io { get; init; }
    /// <summary>disk, cdrom, floppy or lun (virsh's --type).</summary>
    public string? DeviceType { get; init; }
    /// <summary>readonly or shareable.</summary>
    public string? Mode { get; init; }
    /// <summary>file or block (virsh's --sourcetype); probed from the path when absent.</summary>
    public string? SourceType { get; init; }
    public string? Serial { get; init; }
    public string? Wwn { get; init; }
}
