using System.Xml.Linq;

namespace KvmStor.Guests;

/// <summary>
/// Turns attach-disk's options into a &lt;disk&gt; element in libvirt's child order
/// (driver, source, target, readonly, shareable, serial, wwn). The source type, target and bus are already decided.
/// </summary>
public static class DiskElementBuilder
{
    private static readonly string[] CacheModes = ["default", "none", "writethrough", "writeback", "directsync", "unsafe"];
    private static readonly string[] IoModes = ["native", "threads", "io_uring"];

    public static XElement Build(DiskAttachRequest request, string sourceType, string target, string? bus, string? driverType)
    {
        string device = request.DeviceType ?? "disk";
        var disk = new XElement("disk", new XAttribute("type", sourceType), new XAttribute("device", device));

        if (request.Cache is { } cache && !CacheModes.Contains(cache))
            throw StorageException.Xml($"unknown disk cache mode '{cache}'");
        if (request.Io is { } io && !IoModes.Contains(io))
            throw StorageException.Xml($"unknown disk io mode '{io}'");
        if (request.IoThread is { } iothread && (!uint.TryParse(iothread, out uint n) || n == 0))
            throw StorageException.InvalidArg($"Invalid IOThread id value '{iothread}'");
        if (request.Driver is not null || driverType is not null || request.Cache is not null || request.Io is not null || request.IoThread is not null)
        {
            var driver = new XElement("driver", new XAttribute("name", request.Driver ?? "qemu"));
            if (driverType is not null) driver.Add(new XAttribute("type", driverType));
            if (request.Cache is not null) driver.Add(new XAttribute("cache", request.Cache));
            if (request.Io is not null) driver.Add(new XAttribute("io", request.Io));
            if (request.IoThread is not null) driver.Add(new XAttribute("iothread", request.IoThread));
            disk.Add(driver);
        }

        if (SourceElement(request, sourceType) is { } source) disk.Add(source);
        var targetElement = new XElement("target", new XAttribute("dev", target));
        if (bus is not null) targetElement.Add(new XAttribute("bus", bus));
        disk.Add(targetElement);

        switch (request.Mode)
        {
            case null: break;
            case "readonly": disk.Add(new XElement("readonly")); break;
            case "shareable": disk.Add(new XElement("shareable")); break;
            default: throw StorageException.InvalidArg($"No support for {request.Mode} in command 'attach-disk'");
        }
        if (request.Serial is not null) disk.Add(new XElement("serial", request.Serial));
        if (request.Wwn is not null)
        {
            if (!IsWwn(request.Wwn)) throw StorageException.Xml($"Malformed wwn: {request.Wwn}");
            disk.Add(new XElement("wwn", request.Wwn));
        }
        return disk;
    }

    private static XElement? SourceElement(DiskAttachRequest request, string sourceType)
    {
        if (sourceType == "volume")
            return new XElement("source", new XAttribute("pool", request.Pool!), new XAttribute("volume", request.Volume!));
        if (string.IsNullOrEmpty(request.Source)) return null; // an empty cdrom drive
        return sourceType switch
        {
            "file" => new XElement("source", new XAttribute("file", request.Source)),
            "block" => new XElement("source", new XAttribute("dev", request.Source)),
            "network" => NetworkSource(request.Source),
            _ => throw StorageException.InvalidArg($"Unknown source type: '{sourceType}'"),
        };
    }

    /// <summary>--sourcetype network takes "protocol:name[@host[:port]]", e.g. rbd:pool/image@10.0.0.1:6789.</summary>
    private static XElement NetworkSource(string source)
    {
        int colon = source.IndexOf(':');
        if (colon <= 0) throw StorageException.InvalidArg($"network disk source '{source}' must be protocol:name[@host[:port]]");
        string protocol = source[..colon];
        string rest = source[(colon + 1)..];
        var element = new XElement("source", new XAttribute("protocol", protocol));
        int at = rest.LastIndexOf('@');
        string name = at >= 0 ? rest[..at] : rest;
        element.Add(new XAttribute("name", name));
        if (at >= 0)
        {
            string hostPart = rest[(at + 1)..];
            int portColon = hostPart.LastIndexOf(':');
            var host = new XElement("host", new XAttribute("name", portColon > 0 ? hostPart[..portColon] : hostPart));
            if (portColon > 0) host.Add(new XAttribute("port", hostPart[(portColon + 1)..]));
            element.Add(host);
        }
        return element;
    }

    /// <summary>A WWN is 16 hex digits, optionally written with a 0x prefix.</summary>
    private static bool IsWwn(string wwn)
    {
        string digits = wwn.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? wwn[2..] : wwn;
        return digits.Length == 16 && digits.All(Uri.IsHexDigit);
    }
}
