using System.Xml.Linq;
using KvmStor.Model;
using static KvmStor.Xml.PoolXmlReading;

namespace KvmStor.Xml;

/// <summary>
/// The two pool XML extensions: fs/netfs mount options (&lt;fs:mount_opts&gt;) and rbd config options
/// (&lt;rbd:config_opts&gt;). Elements are matched by namespace URI, whatever prefix the document uses.
/// </summary>
public static class PoolNamespaceXml
{
    public const string FsUri = "http://libvirt.org/schemas/storagepool/fs/1.0";
    public const string RbdUri = "http://libvirt.org/schemas/storagepool/rbd/1.0";

    public static IReadOnlyList<string> ParseMountOptions(XElement pool)
    {
        XNamespace ns = FsUri;
        var options = new List<string>();
        foreach (var option in pool.Elements(ns + "mount_opts").Elements(ns + "option"))
            options.Add(XmlText.AbsentIfEmpty(Attribute(option, "name")) ?? throw StorageException.Xml("no fs mount option name specified"));
        return options;
    }

    public static IReadOnlyList<RbdConfigOption> ParseRbdOptions(XElement pool)
    {
        XNamespace ns = RbdUri;
        var options = new List<RbdConfigOption>();
        foreach (var option in pool.Elements(ns + "config_opts").Elements(ns + "option"))
        {
            string name = XmlText.AbsentIfEmpty(Attribute(option, "name")) ?? throw StorageException.Xml("no rbd option name specified");
            string value = XmlText.AbsentIfEmpty(Attribute(option, "value")) ?? throw StorageException.Xml("no rbd option value specified");
            options.Add(new RbdConfigOption(name, value));
        }
        return options;
    }

    /// <summary>The xmlns attribute for the root element, or null when the definition uses no extension.</summary>
    public static (string Name, string? Value) Declaration(PoolDefinition def) => PoolTypeInfo.For(def.Type).Namespace switch
    {
        PoolXmlNamespace.Fs when def.MountOptions.Count > 0 => ("xmlns:fs", FsUri),
        PoolXmlNamespace.Rbd when def.RbdConfigOptions.Count > 0 => ("xmlns:rbd", RbdUri),
        _ => ("xmlns", null),
    };

    public static void Format(XmlOut x, PoolDefinition def)
    {
        switch (PoolTypeInfo.For(def.Type).Namespace)
        {
            case PoolXmlNamespace.Fs when def.MountOptions.Count > 0:
                x.Open("fs:mount_opts");
                foreach (var name in def.MountOptions) x.Empty("fs:option", ("name", name));
                x.Close("fs:mount_opts");
                break;
            case PoolXmlNamespace.Rbd when def.RbdConfigOptions.Count > 0:
                x.Open("rbd:config_opts");
                foreach (var o in def.RbdConfigOptions) x.Empty("rbd:option", ("name", o.Name), ("value", o.Value));
                x.Close("rbd:config_opts");
                break;
        }
    }
}
