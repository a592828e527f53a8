using System.Globalization;
using System.Text;
using KvmStor.Model;

namespace KvmStor.Cli.Output;

/// <summary>vol-info and vol-list texts, exactly as virsh lays them out.</summary>
public static class VolumeFormatting
{
    /// <summary>virsh's names for volume types; a type it does not know is "unknown".</summary>
    public static string TypeName(VolumeDefinition volume) => volume.Type?.ToXmlName() ?? "unknown";

    /// <summary>The figure vol-info --physical shows: the host-side size (0 when the volume has none, as libvirt reports it).</summary>
    public static ulong PhysicalSize(VolumeDefinition volume) => volume.Physical ?? 0;

    /// <summary>vol-info: "%-15s %s" lines; sizes "%2.2lf %s" or, with --bytes, "%llu bytes"; Physical replaces Allocation with --physical.</summary>
    public static string Info(VolumeDefinition volume, bool bytes, bool physical)
    {
        var text = new StringBuilder();
        Line("Name:", volume.Name);
        Line("Type:", TypeName(volume));
        Line("Capacity:", Size(volume.Capacity));
        if (physical) Line("Physical:", Size(PhysicalSize(volume)));
        else Line("Allocation:", Size(volume.Allocation));
        return text.ToString();

        string Size(ulong value) => bytes ? value.ToString(CultureInfo.InvariantCulture) + " bytes" : ScaledInteger.Format(value);
        void Line(string label, string value) => text.Append(label.PadRight(15)).Append(' ').Append(value).Append('\n');
    }

    /// <summary>vol-list: Name and Path ("unknown" when the volume has no path).</summary>
    public static string Table(IEnumerable<VolumeDefinition> volumes)
    {
        var table = new VirshTable("Name", "Path");
        foreach (var volume in volumes)
            table.AddRow(volume.Name, volume.Target.Path ?? "unknown");
        return table.Render();
    }

    /// <summary>vol-list --details: adds the type and the pretty-printed capacity and allocation.</summary>
    public static string DetailsTable(IEnumerable<VolumeDefinition> volumes)
    {
        var table = new VirshTable("Name", "Path", "Type", "Capacity", "Allocation");
        foreach (var volume in volumes)
            table.AddRow(volume.Name, volume.Target.Path ?? "unknown", TypeName(volume),
                ScaledInteger.Format(volume.Capacity), ScaledInteger.Format(volume.Allocation));
        return table.Render();
    }
}
