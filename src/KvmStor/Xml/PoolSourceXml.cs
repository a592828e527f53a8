using System.Globalization;
using System.Xml.Linq;
using KvmStor.Model;
using static KvmStor.Xml.PoolXmlReading;

namespace KvmStor.Xml;

/// <summary>
/// The &lt;source&gt; element of a pool, shared by pool definitions, find-storage-pool-sources specs and
/// &lt;sources&gt; results. Parsing reads every part whatever the type; formatting prints only the parts the
/// type's <see cref="PoolSourceFlags"/> allow (plus auth, protocol, vendor and product, which libvirt always prints).
/// </summary>
public static class PoolSourceXml
{
    /// <summary>Reads a &lt;source&gt; element (null: none given) with libvirt's per-element rules and errors.</summary>
    public static PoolSource Parse(XElement? source, PoolType type, bool includeRuntimeData = false)
    {
        var info = PoolTypeInfo.For(type);
        if (source is null)
            return new PoolSource { Format = info.DefaultSourceFormat };

        string? name = ChildText(source, "name");
        if (type == PoolType.Rbd && name is null)
            throw StorageException.Xml("element 'name' is mandatory for RBD pool");

        string? format = null;
        if (info.HasSourceFormats)
        {
            format = ChildAttribute(source, "format", "type") ?? info.DefaultSourceFormat;
            if (info.SourceFormatIndex(format) < 0)
                throw StorageException.Unsupported($"unknown pool format type {format}");
        }

        var hosts = new List<PoolSourceHost>();
        foreach (var host in Children(source, "host"))
        {
            string hostName = Attribute(host, "name") ?? throw StorageException.Xml("missing storage pool host name");
            int? port = IntAttribute(host, "port");
            hosts.Add(new PoolSourceHost(hostName, port is 0 ? null : port));
        }

        string? initiator = XmlText.AbsentIfEmpty(Child(Child(source, "initiator"), "iqn")?.Attribute("name")?.Value);

        var devices = new List<PoolSourceDevice>();
        foreach (var device in Children(source, "device"))
        {
            string path = Attribute(device, "path") ?? throw StorageException.Xml("missing storage pool source device path");
            devices.Add(new PoolSourceDevice
            {
                Path = path,
                PartSeparator = YesNoAttribute(device, "part_separator"),
                FreeExtents = includeRuntimeData ? ParseFreeExtents(device) : [],
            });
        }

        string? dir = ChildAttribute(source, "dir", "path") is { } d ? SanitizePath(d) : null;
        if (dir is null && type == PoolType.Gluster) dir = "/";

        var adapterNode = Child(source, "adapter");
        PoolAdapter? adapter = adapterNode is null ? null : PoolAdapterXml.Parse(adapterNode);

        PoolAuth? auth = Child(source, "auth") is { } authNode ? PoolAuthXml.Parse(authNode) : null;

        string? protocol = ChildAttribute(source, "protocol", "ver");
        if (protocol is not null)
        {
            // libvirt compares the type's own format number with netfs' auto (0) and nfs (1), whatever the type.
            int formatIndex = Math.Max(0, info.SourceFormatIndex(format));
            if (formatIndex > 1)
            {
                string shown = formatIndex < PoolFormats.NetFileSystem.Count ? PoolFormats.NetFileSystem[formatIndex] : "(null)";
                throw StorageException.Unsupported($"storage pool protocol ver unsupported for pool type '{shown}'");
            }
            if (protocol.Contains(','))
                throw StorageException.Xml($"storage pool protocol ver '{protocol}' must not contain ','");
        }

        return new PoolSource
        {
            Hosts = hosts,
            Devices = devices,
            Dir = dir,
            Adapter = adapter,
            Name = name,
            InitiatorIqn = initiator,
            Format = format,
            Auth = auth,
            ProtocolVersion = protocol,
            Vendor = ChildAttribute(source, "vendor", "name"),
            Product = ChildAttribute(source, "product", "name"),
        };
    }

    /// <summary>Writes &lt;source&gt; as libvirt's virStoragePoolSourceFormat does.</summary>
    public static void Format(XmlOut x, PoolSource src, PoolType type)
    {
        var info = PoolTypeInfo.For(type);
        x.Open("source");

        if (info.Uses(PoolSourceFlags.Host))
            foreach (var host in src.Hosts)
                x.Empty("host", ("name", host.Name), ("port", host.Port is null or 0 ? null : host.Port.Value.ToString(CultureInfo.InvariantCulture)));

        if (info.Uses(PoolSourceFlags.Device))
            foreach (var device in src.Devices)
                FormatDevice(x, device);

        if (info.Uses(PoolSourceFlags.Dir) && src.Dir is not null)
            x.Empty("dir", ("path", src.Dir));

        if (info.Uses(PoolSourceFlags.Adapter) && src.Adapter is not null)
            PoolAdapterXml.Format(x, src.Adapter);

        if (info.Uses(PoolSourceFlags.Name))
            x.Text("name", src.Name);

        if (info.Uses(PoolSourceFlags.InitiatorIqn) && src.InitiatorIqn is not null)
            x.Open("initiator").Empty("iqn", ("name", src.InitiatorIqn)).Close("initiator");

        if (info.HasSourceFormats)
            x.Empty("format", ("type", src.Format ?? info.DefaultSourceFormat));

        if (src.Auth is not null)
            PoolAuthXml.Format(x, src.Auth);

        if (src.ProtocolVersion is not null)
            x.Empty("protocol", ("ver", src.ProtocolVersion));

        if (src.Vendor is not null) x.Empty("vendor", ("name", src.Vendor));
        if (src.Product is not null) x.Empty("product", ("name", src.Product));

        x.Close("source");
    }

    private static void FormatDevice(XmlOut x, PoolSourceDevice device)
    {
        (string, string?)[] attributes =
        [
            ("path", device.Path),
            ("part_separator", device.PartSeparator is null ? null : device.PartSeparator.Value ? "yes" : "no"),
        ];
        if (device.FreeExtents.Count == 0)
        {
            x.Empty("device", attributes);
            return;
        }
        x.Open("device", attributes);
        foreach (var extent in device.FreeExtents)
            x.Empty("freeExtent",
                ("start", extent.Start.ToString(CultureInfo.InvariantCulture)),
                ("end", extent.End.ToString(CultureInfo.InvariantCulture)));
        x.Close("device");
    }

    private static IReadOnlyList<FreeExtent> ParseFreeExtents(XElement device)
    {
        var extents = new List<FreeExtent>();
        foreach (var e in Children(device, "freeExtent"))
        {
            if (!ulong.TryParse(Attribute(e, "start"), NumberStyles.None, CultureInfo.InvariantCulture, out ulong start) ||
                !ulong.TryParse(Attribute(e, "end"), NumberStyles.None, CultureInfo.InvariantCulture, out ulong end))
                throw StorageException.Xml("malformed freeExtent element");
            extents.Add(new FreeExtent(start, end));
        }
        return extents;
    }
}
