namespace KvmStor.Backends.Mpath;

/// <summary>A device-mapper map with a multipath target: its name, minor number and length in 512-byte sectors.</summary>
public sealed record MultipathMap(string Name, uint Minor, ulong Sectors)
{
    /// <summary>libvirt names the volume after the kernel's dm-N node.</summary>
    public string VolumeName => $"dm-{Minor}";

    public string DevicePath => "/dev/mapper/" + Name;

    public ulong Bytes => Sectors * 512;
}
