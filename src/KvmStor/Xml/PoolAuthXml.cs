using System.Xml.Linq;
using KvmStor.Model;
using static KvmStor.Xml.PoolXmlReading;

namespace KvmStor.Xml;

/// <summary>The &lt;auth&gt; of a pool source: chap (iscsi) or ceph (rbd), with a secret by uuid or usage.</summary>
public static class PoolAuthXml
{
    public static PoolAuth Parse(XElement node)
    {
        string username = XmlText.AbsentIfEmpty(Attribute(node, "username")) ?? throw StorageException.Xml("missing username for auth");
        string? typeText = XmlText.AbsentIfEmpty(Attribute(node, "type"));
        AuthType? type = typeText switch
        {
            null => null,
            "chap" => AuthType.Chap,
            "ceph" => AuthType.Ceph,
            _ => throw StorageException.Unsupported($"unknown auth type '{typeText}'"),
        };
        var secret = Child(node, "secret") ?? throw StorageException.Xml("Missing <secret> element in auth");
        string? uuidText = Attribute(secret, "uuid");
        string? usage = Attribute(secret, "usage");
        if (uuidText is null && usage is null)
            throw StorageException.Xml("missing either uuid or usage attribute for secret");
        if (uuidText is not null && usage is not null)
            throw StorageException.Xml("either secret uuid or usage expected");
        Guid? uuid = null;
        if (uuidText is not null)
        {
            if (!TryParseUuid(uuidText, out var parsed))
                throw StorageException.Xml($"invalid secret uuid '{uuidText}'");
            uuid = parsed;
        }
        // The pool keeps no "auth without type": libvirt refuses it right after parsing.
        if (type is null)
            throw StorageException.Unsupported("storage pool missing auth type");
        return new PoolAuth
        {
            Type = type.Value,
            Username = username,
            SecretUuid = uuid,
            SecretUsage = usage,
            SecretType = Attribute(secret, "type"),
        };
    }

    public static void Format(XmlOut x, PoolAuth auth)
    {
        x.Open("auth", ("type", auth.Type == AuthType.Chap ? "chap" : "ceph"), ("username", auth.Username));
        x.Empty("secret",
            ("type", auth.SecretType),
            ("uuid", auth.SecretUuid?.ToString("D")),
            ("usage", auth.SecretUuid is null ? auth.SecretUsage : null));
        x.Close("auth");
    }
}
