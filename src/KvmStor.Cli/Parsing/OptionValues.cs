namespace KvmStor.Cli.Parsing;

/// <summary>What an option's value names, for <c>kvmstor complete</c> (virsh's per-option completers).</summary>
public enum ValueKind
{
    /// <summary>Free text (a new name, a size, a host): nothing to offer.</summary>
    None,
    /// <summary>Pool names, narrowed by <see cref="OptionValues.States"/>.</summary>
    Pool,
    PoolUuid,
    /// <summary>
    /// Volume names in the pool that option <see cref="OptionValues.Scope"/> names; without that pool, the paths of the
    /// volumes of running pools once the word starts with '/' (a volume is found by path too).
    /// </summary>
    Volume,
    /// <summary>Keys of the volumes of every running pool (commands that find a volume by key or path only).</summary>
    VolumeKey,
    PoolType,
    /// <summary>Comma-separated pool types (pool-list --type).</summary>
    PoolTypeList,
    /// <summary>Volume formats the pool named by option <see cref="OptionValues.Scope"/> accepts (image formats without one).</summary>
    VolumeFormat,
    WipeAlgorithm,
    /// <summary>Secret UUIDs and usage IDs (kvmstor finds a secret by either).</summary>
    Secret,
    SecretUuid,
    SecretUsage,
    Guest,
    /// <summary>Target names (vda, sdb…) of the disks of the guest named by option <see cref="OptionValues.Scope"/>.</summary>
    GuestDisk,
    /// <summary>Command names and help keywords.</summary>
    Command,
    /// <summary>Local file paths.</summary>
    File,
    /// <summary>The words in <see cref="OptionValues.Choices"/>.</summary>
    Choice,
}

/// <summary>Which pools a pool option takes: the state a command needs its pool in.</summary>
public enum PoolStates { Any, Active, Inactive, Persistent }

/// <summary>
/// The values an option takes, declared beside the option in the command table so that completion, like help, reads
/// everything from the one table.
/// </summary>
public sealed record OptionValues(ValueKind Kind)
{
    public PoolStates States { get; init; }

    /// <summary>The option whose value narrows this one: the pool of a volume, the guest of a disk target.</summary>
    public string? Scope { get; init; }

    public IReadOnlyList<string> Choices { get; init; } = [];

    public static OptionValues Pools(PoolStates states) => new(ValueKind.Pool) { States = states };
    public static OptionValues VolumesIn(string poolOption) => new(ValueKind.Volume) { Scope = poolOption };
    public static OptionValues FormatsOf(string? poolOption) => new(ValueKind.VolumeFormat) { Scope = poolOption };
    public static OptionValues DisksOf(string guestOption) => new(ValueKind.GuestDisk) { Scope = guestOption };
    public static OptionValues OneOf(params IReadOnlyList<string> choices) => new(ValueKind.Choice) { Choices = choices };
    public static OptionValues Files { get; } = new(ValueKind.File);
}
