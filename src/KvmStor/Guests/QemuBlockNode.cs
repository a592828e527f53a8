using System.Text;

namespace KvmStor.Guests;

/// <summary>
/// One qemu block node in -blockdev's key=value syntax. Order of properties is kept so output is stable;
/// commas inside values are doubled as qemu's option parser requires.
/// </summary>
public sealed class QemuBlockNode(string driver)
{
    private readonly List<KeyValuePair<string, string>> _properties = [new("driver", driver)];

    public string Driver { get; } = driver;

    public QemuBlockNode Set(string key, string value)
    {
        _properties.Add(new(key, value));
        return this;
    }

    public string? Get(string key) => _properties.FirstOrDefault(p => p.Key == key).Value;

    public string ToArgument()
    {
        var text = new StringBuilder();
        foreach (var (key, value) in _properties)
        {
            if (text.Length > 0) text.Append(',');
            text.Append(key).Append('=').Append(value.Replace(",", ",,"));
        }
        return text.ToString();
    }
}

/// <summary>A disk's source resolved for qemu: the protocol node (file, host_device, iscsi, rbd…) and the image format on top.</summary>
public sealed record ResolvedDiskSource(QemuBlockNode Protocol, string Format)
{
    /// <summary>
    /// A file holding the key the protocol node needs (rbd's cephx key, base64), given to qemu as a secret object so that
    /// the key itself never appears on the command line.
    /// </summary>
    public string? SecretFile { get; init; }
}
