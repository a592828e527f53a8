using System.Globalization;
using System.Xml.Linq;
using KvmStor.Model;

namespace KvmStor.Xml;

/// <summary>&lt;encryption&gt; of a volume target (libvirt's storage encryption document).</summary>
public static class VolumeEncryptionXml
{
    private static IReadOnlyList<string> Formats => VolumeFormats.EncryptionFormats;
    private static IReadOnlyList<string> Engines => VolumeFormats.EncryptionEngines;
    public static IReadOnlyList<string> SecretTypes { get; } = ["passphrase"];

    public static VolumeEncryption Parse(XElement encryption)
    {
        string format = XmlText.OfAttribute(encryption, "format")
            ?? throw StorageException.Xml("unknown volume encryption format");
        if (!Formats.Contains(format))
            throw StorageException.Unsupported($"unknown volume encryption format type {format}");

        // engine='default' is the value an absent attribute means, so writing it out is refused.
        string? engine = encryption.Attribute("engine")?.Value;
        if (engine is not null && (!Engines.Contains(engine) || engine == Engines[0]))
            throw StorageException.Xml($"Invalid value for attribute 'engine' in element 'encryption': '{engine}'.");

        var secrets = encryption.Elements("secret").Select(ParseSecret).ToList();
        var result = new VolumeEncryption { Format = format, Engine = engine, Secrets = secrets };

        // Cipher and ivgen only mean something for LUKS; other formats ignore them.
        if (format != "luks") return result;
        if (encryption.Element("cipher") is { } cipher)
        {
            string name = cipher.Attribute("name")?.Value
                ?? throw StorageException.Xml("cipher info missing 'name' attribute");
            string size = cipher.Attribute("size")?.Value
                ?? throw StorageException.Xml("cipher info missing 'size' attribute");
            if (!VolumeXmlValues.TryParseUnsigned(size, out ulong bits) || bits > uint.MaxValue)
                throw StorageException.Xml($"cannot parse cipher size: '{size}'");
            result = result with
            {
                CipherName = name,
                CipherSize = bits.ToString(CultureInfo.InvariantCulture),
                CipherMode = cipher.Attribute("mode")?.Value,
                CipherHash = cipher.Attribute("hash")?.Value,
            };
        }
        if (encryption.Element("ivgen") is { } ivgen)
        {
            if (result.CipherName is null)
                throw StorageException.Xml("ivgen element found, but cipher is missing");
            string name = ivgen.Attribute("name")?.Value
                ?? throw StorageException.Xml("missing ivgen info name string");
            result = result with { IvgenName = name, IvgenHash = ivgen.Attribute("hash")?.Value };
        }
        return result;
    }

    private static EncryptionSecret ParseSecret(XElement secret)
    {
        string type = XmlText.OfAttribute(secret, "type")
            ?? throw StorageException.Xml("unknown volume encryption secret type");
        if (!SecretTypes.Contains(type))
            throw StorageException.Unsupported($"unknown volume encryption secret type {type}");
        string? uuid = secret.Attribute("uuid")?.Value;
        string? usage = secret.Attribute("usage")?.Value;
        if (uuid is null && usage is null)
            throw StorageException.Xml("missing secret uuid or usage attribute");
        if (uuid is not null && usage is not null)
            throw StorageException.Xml("either secret uuid or usage expected");
        if (uuid is null)
            return new EncryptionSecret(type, null, usage);
        if (!Guid.TryParseExact(uuid.Trim(), "D", out Guid parsed) && !Guid.TryParseExact(uuid.Trim(), "N", out parsed))
            throw StorageException.Xml($"invalid secret uuid '{uuid}'");
        return new EncryptionSecret(type, parsed, null);
    }

    public static void Format(XmlOut w, VolumeEncryption e)
    {
        w.Open("encryption", ("format", e.Format), ("engine", e.Engine is null or "default" ? null : e.Engine));
        foreach (var s in e.Secrets)
            w.Empty("secret", ("type", s.Type), ("uuid", s.Uuid?.ToString()), ("usage", s.Uuid is null ? s.Usage : null));
        // Only a LUKS volume prints its cipher, and the ivgen only alongside a cipher.
        if (e.Format == "luks" && e.CipherName is not null)
        {
            w.Empty("cipher", ("name", e.CipherName), ("size", e.CipherSize ?? "0"), ("mode", e.CipherMode), ("hash", e.CipherHash));
            if (e.IvgenName is not null)
                w.Empty("ivgen", ("name", e.IvgenName), ("hash", e.IvgenHash));
        }
        w.Close("encryption");
    }
}
