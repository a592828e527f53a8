using System.Xml.Linq;
using KvmStor.Model;

namespace KvmStor.Xml;

/// <summary>
/// libvirt's &lt;secret&gt; XML: parse with libvirt's error texts and codes (checked against libvirt 9.0's secret driver,
/// whose codes are uneven: a missing usage name is an internal error, an unknown usage type an unsupported
/// configuration), format byte-for-byte as its formatter.
/// </summary>
public static class SecretXml
{
    public const string DocumentName = "definition_of_secret";

    /// <summary>Parses a definition; a missing &lt;uuid&gt; gets a fresh random one, as libvirt's parser does.</summary>
    public static SecretDefinition Parse(string xml)
    {
        var root = SafeXml.Parse(xml, DocumentName).Root!;
        if (root.Name.LocalName != "secret")
            throw StorageException.Xml($"expecting root element of 'secret', not '{root.Name.LocalName}'");

        bool ephemeral = YesNo(root, "ephemeral");
        bool isPrivate = YesNo(root, "private");

        Guid uuid = Guid.NewGuid();
        if (root.Element("uuid") is { } uuidNode)
        {
            if (!PoolXmlReading.TryParseUuid(uuidNode.Value, out uuid))
                throw StorageException.Internal("malformed uuid element");
        }

        string? description = root.Element("description")?.Value;
        var (usageType, usageId) = ParseUsage(root.Element("usage"));
        return new SecretDefinition(uuid, ephemeral, isPrivate, description, usageType, usageId);
    }

    public static string Format(SecretDefinition secret)
    {
        var x = new XmlOut();
        x.Open("secret", ("ephemeral", secret.Ephemeral ? "yes" : "no"), ("private", secret.Private ? "yes" : "no"));
        x.Text("uuid", secret.Uuid.ToString("D"));
        x.Text("description", secret.Description);
        if (secret.UsageType != SecretUsageType.None)
        {
            x.Open("usage", ("type", SecretDefinition.UsageTypeName(secret.UsageType)));
            x.Text(UsageElement(secret.UsageType), secret.UsageId);
            x.Close("usage");
        }
        x.Close("secret");
        return x.ToString();
    }

    /// <summary>The element under &lt;usage&gt; that names what the secret is for.</summary>
    public static string UsageElement(SecretUsageType type) => type switch
    {
        SecretUsageType.Volume => "volume",
        SecretUsageType.Iscsi => "target",
        _ => "name",
    };

    private static bool YesNo(XElement root, string attribute)
    {
        string? text = root.Attribute(attribute)?.Value;
        return text switch
        {
            null or "no" => false,
            "yes" => true,
            _ => throw StorageException.Xml($"invalid value of '{attribute}'"),
        };
    }

    private static (SecretUsageType, string?) ParseUsage(XElement? usage)
    {
        if (usage is null) return (SecretUsageType.None, null);
        string? typeText = usage.Attribute("type")?.Value;
        if (typeText is null)
            throw StorageException.Xml("unknown secret usage type");
        var type = SecretDefinition.ParseUsageType(typeText) ?? throw StorageException.Unsupported($"unknown secret usage type {typeText}");
        if (type == SecretUsageType.None) return (type, null);

        string? id = usage.Element(UsageElement(type))?.Value;
        if (string.IsNullOrEmpty(id))
            throw StorageException.Internal(type switch
            {
                SecretUsageType.Volume => "volume usage specified, but volume path is missing",
                SecretUsageType.Ceph => "Ceph usage specified, but name is missing",
                SecretUsageType.Iscsi => "iSCSI usage specified, but target is missing",
                SecretUsageType.Tls => "TLS usage specified, but name is missing",
                _ => "vTPM usage specified, but name is missing",
            });
        return (type, id);
    }
}
