using System.Globalization;
using KvmStor.Model;

namespace KvmStor.Xml;

/// <summary>Writes a pool definition in libvirt's element order (virStoragePoolDefFormatBuf).</summary>
internal static class PoolXmlFormatter
{
    public static void Write(XmlOut x, PoolDefinition def)
    {
        var info = PoolTypeInfo.For(def.Type);
        x.Open("pool", ("type", def.Type.ToXmlName()), PoolNamespaceXml.Declaration(def));
        x.Text("name", def.Name);
        x.Text("uuid", def.Uuid.ToString("D"));
        x.Text("capacity", Bytes(def.Capacity), ("unit", "bytes"));
        x.Text("allocation", Bytes(def.Allocation), ("unit", "bytes"));
        x.Text("available", Bytes(def.Available), ("unit", "bytes"));

        if (def.Cow is { } cow)
            x.Open("features").Empty("cow", ("state", cow ? "yes" : "no")).Close("features");

        PoolSourceXml.Format(x, def.Source, def.Type);

        // rbd, sheepdog, gluster and iscsi-direct are not local: libvirt prints no <target> for them.
        if (info.Target != PoolTargetRule.None)
        {
            x.Open("target");
            x.Text("path", def.Target?.Path);
            WritePermissions(x, def.Target?.Permissions);
            x.Close("target");
        }

        if (def.RefreshVolumeAllocation is { } refresh)
            x.Open("refresh")
             .Empty("volume", ("allocation", refresh == VolumeAllocationRefresh.Capacity ? "capacity" : "default"))
             .Close("refresh");

        PoolNamespaceXml.Format(x, def);
        x.Close("pool");
    }

    /// <summary>&lt;permissions&gt; with mode as 0%o; owner and group printed as C's (int) cast does.</summary>
    public static void WritePermissions(XmlOut x, Permissions? perms)
    {
        if (perms is null || perms.IsEmpty) return;
        x.Open("permissions");
        if (perms.Mode is { } mode) x.Text("mode", "0" + Convert.ToString(mode, 8));
        if (perms.Owner is { } owner) x.Text("owner", ((int)(uint)owner).ToString(CultureInfo.InvariantCulture));
        if (perms.Group is { } group) x.Text("group", ((int)(uint)group).ToString(CultureInfo.InvariantCulture));
        x.Text("label", perms.Label);
        x.Close("permissions");
    }

    private static string Bytes(ulong n) => n.ToString(CultureInfo.InvariantCulture);
}
