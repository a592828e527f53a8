namespace KvmStor.Backends.Logical;

/// <summary>
/// One line of <see cref="LvmCommands.Lvs"/> output: one segment of one LV (an LV with several segments has several
/// lines). Sizes are bytes (--units b --nosuffix); empty optional fields stay empty strings.
/// </summary>
public sealed record LvsRow(
    string Name, string Origin, string Uuid, string Devices, string SegmentType, string Stripes, string SegmentSize,
    string ExtentSize, string Size, string Attributes, string PoolLv, string DataPercent, string OriginSize)
{
    /// <summary>lv_attr character 1: the volume type ('t' thin pool, 'V' thin volume, 's' snapshot, '-' plain…).</summary>
    public char VolumeTypeFlag => Attributes[0];

    /// <summary>lv_attr character 5: 'a' when active; libvirt lists active LVs only.</summary>
    public bool IsActive => Attributes.Length > 4 && Attributes[4] == 'a';

    public bool IsThinPool => VolumeTypeFlag == 't';

    public bool IsThinVolume => VolumeTypeFlag == 'V' || SegmentType == "thin";

    /// <summary>An old-style (copy-on-write) snapshot; libvirt calls these sparse and refuses to wipe them.</summary>
    public bool IsSnapshot => VolumeTypeFlag is 's' or 'S';

    /// <summary>The origin lvm shows as "[name_vorigin]" for a snapshot made with --virtualsize: internal, not a backing volume.</summary>
    public bool HasVirtualOrigin => Origin.StartsWith('[');
}
