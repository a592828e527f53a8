using KvmStor.Host;
using KvmStor.State;

namespace KvmStor.Guests;

/// <summary>
/// Guest definitions on disk: one &lt;name&gt;.xml per guest in a directory, the same layout libvirt's qemu driver
/// uses, so the store can be kvmstor's own or an existing libvirt host's /etc/libvirt/qemu. Writes are atomic;
/// callers hold <see cref="Lock"/> across a read-modify-write.
/// </summary>
public sealed class GuestStore(string directory, string lockPath)
{
    public string Directory { get; } = directory;

    /// <summary>kvmstor's own store beside the pool definitions (…/kvmstor/qemu), unless KVMSTOR_GUEST_DIR names another.</summary>
    public static string DefaultDirectory(StatePaths paths, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        if (environment("KVMSTOR_GUEST_DIR") is { Length: > 0 } chosen) return chosen;
        string kvmstorConfig = Path.GetDirectoryName(paths.ConfigDirectory.TrimEnd('/'))!;
        return Path.Combine(kvmstorConfig, "qemu");
    }

    public FileLock Lock() => FileLock.Exclusive(lockPath);

    public IReadOnlyList<string> Names()
    {
        if (!System.IO.Directory.Exists(Directory)) return [];
        return System.IO.Directory.EnumerateFiles(Directory, "*.xml")
            .Select(f => Path.GetFileNameWithoutExtension(f))
            .Where(n => !n.StartsWith('.'))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    public DomainDocument? Load(string name)
    {
        string? xml = ReadXml(name);
        return xml is null ? null : DomainDocument.Parse(xml);
    }

    public string? ReadXml(string name)
    {
        if (!IsStorableName(name)) return null;
        string path = PathOf(name);
        return File.Exists(path) ? File.ReadAllText(path) : null;
    }

    public void Save(DomainDocument domain)
    {
        // A new store is private like the rest of kvmstor's state; an existing one (perhaps libvirt's) keeps its mode.
        System.IO.Directory.CreateDirectory(Directory, PrivateDirectory.Mode);
        AtomicFile.Write(PathOf(domain.Name), domain.ToString());
    }

    public void Delete(string name) => AtomicFile.Delete(PathOf(name));

    private string PathOf(string name) => Path.Combine(Directory, name + ".xml");

    private static bool IsStorableName(string name) => name.Length > 0 && !name.Contains('/') && name != "." && name != "..";
}
