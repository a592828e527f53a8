using System.Globalization;
using KvmStor.Model;

namespace KvmStor.Xml;

public static partial class VolumeXml
{
    /// <summary>
    /// Writes the volume as libvirt 9.0's vol-dumpxml does: name, key, source extents (only when there are
    /// any), capacity, allocation, physical (when known), target, backingStore. Sizes in unit='bytes'.
    /// <paramref name="poolType"/> decides whether &lt;format&gt; is printed (pools without volume formats
    /// print none); null prints whatever format the definition carries.
    /// </summary>
    public static string Format(VolumeDefinition volume, PoolType? poolType = null)
    {
        bool printFormat = poolType is null || VolumeFormats.RuleFor(poolType.Value).HasFormats;
        var w = new XmlOut();
        w.Open("volume", ("type", (volume.Type ?? VolumeType.File).ToXmlName()));
        w.Text("name", volume.Name);
        w.Text("key", volume.Key);
        FormatSource(w, volume.SourceDevices);
        w.Text("capacity", Bytes(volume.Capacity), ("unit", "bytes"));
        w.Text("allocation", Bytes(volume.Allocation), ("unit", "bytes"));
        if (volume.Physical is ulong physical)
            w.Text("physical", Bytes(physical), ("unit", "bytes"));
        FormatTarget(w, "target", volume.Target, printFormat, poolType);
        if (volume.BackingStore is { Path: not null } backing)
            FormatTarget(w, "backingStore", backing, printFormat, poolType);
        w.Close("volume");
        return w.ToString();
    }

    private static void FormatSource(XmlOut w, IReadOnlyList<VolumeSourceDevice> devices)
    {
        if (!devices.Any(d => d.Extents.Count > 0)) return;
        w.Open("source");
        foreach (var device in devices.Where(d => d.Extents.Count > 0))
        {
            w.Open("device", ("path", device.Path));
            foreach (var extent in device.Extents)
                w.Empty("extent", ("start", Bytes(extent.Start)), ("end", Bytes(extent.End)));
            w.Close("device");
        }
        w.Close("source");
    }

    private static void FormatTarget(XmlOut w, string element, VolumeTarget target, bool printFormat, PoolType? poolType)
    {
        w.Open(element);
        w.Text("path", target.Path);
        if (printFormat)
        {
            string format = target.Format
                ?? (poolType is null ? null : VolumeFormats.RuleFor(poolType.Value).DefaultFormat)
                ?? "none";
            w.Empty("format", ("type", format));
        }
        VolumePermissionsXml.Format(w, target.Permissions);
        if (target.Timestamps is { } t)
        {
            w.Open("timestamps");
            w.Text("atime", t.Atime);
            w.Text("mtime", t.Mtime);
            w.Text("ctime", t.Ctime);
            w.Text("btime", t.Btime);
            w.Close("timestamps");
        }
        if (target.Encryption is { } encryption)
            VolumeEncryptionXml.Format(w, encryption);
        w.Text("compat", target.Compat);
        if (target.ClusterSize is ulong cluster and > 0)
            w.Text("clusterSize", Bytes(cluster), ("unit", "B"));
        if (target.Features is { } features)
        {
            if (features.Count == 0)
                w.Empty("features");
            else
            {
                w.Open("features");
                foreach (var feature in VolumeFormats.Qcow2Features.Where(features.Contains))
                    w.Empty(feature);
                w.Close("features");
            }
        }
        w.Close(element);
    }

    private static string Bytes(ulong value) => value.ToString(CultureInfo.InvariantCulture);
}
