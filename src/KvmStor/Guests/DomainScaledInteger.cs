using System.Globalization;
using System.Xml.Linq;

namespace KvmStor.Guests;

/// <summary>Domain memory sizes: a number with an optional unit attribute (KiB when absent), as libvirt reads them.</summary>
internal static class DomainScaledInteger
{
    public static ulong ToKiB(XElement element)
    {
        string text = element.Value.Trim();
        if (!ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong value))
            throw StorageException.Xml($"could not parse memory element value '{text}'");
        string unit = element.Attribute("unit")?.Value ?? "KiB";
        ulong multiplier = unit switch
        {
            "b" or "bytes" => 1,
            "k" or "KiB" => 1UL << 10,
            "KB" => 1000,
            "M" or "MiB" => 1UL << 20,
            "MB" => 1000_000,
            "G" or "GiB" => 1UL << 30,
            "GB" => 1000_000_000,
            "T" or "TiB" => 1UL << 40,
            "TB" => 1000_000_000_000,
            _ => throw StorageException.Xml($"unknown suffix '{unit}'"),
        };
        ulong bytes = checked(value * multiplier);
        return (bytes + 1023) / 1024;
    }
}
