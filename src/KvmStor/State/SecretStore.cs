using KvmStor.Host;
using KvmStor.Model;
using KvmStor.Xml;

namespace KvmStor.State;

/// <summary>
/// Secrets on disk: &lt;dir&gt;/&lt;uuid&gt;.xml holds the definition and &lt;dir&gt;/&lt;uuid&gt;.base64 the value, both 0600 in a
/// 0700 directory, so only root (system) or the owner (session) can read them. Persistent secrets live in
/// <see cref="StatePaths.SecretsDirectory"/>, ephemeral ones in <see cref="StatePaths.EphemeralSecretsDirectory"/>.
/// </summary>
public sealed class SecretStore(StatePaths paths)
{
    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private IEnumerable<string> Directories => [paths.SecretsDirectory, paths.EphemeralSecretsDirectory];

    private string DirectoryFor(SecretDefinition secret) =>
        secret.Ephemeral ? paths.EphemeralSecretsDirectory : paths.SecretsDirectory;

    public IEnumerable<SecretDefinition> LoadAll()
    {
        foreach (var dir in Directories)
        {
            if (!Directory.Exists(dir)) continue;
            foreach (var file in Directory.EnumerateFiles(dir, "*.xml"))
                if (Guid.TryParseExact(Path.GetFileNameWithoutExtension(file), "D", out var uuid) && Load(uuid) is { } secret)
                    yield return secret;
        }
    }

    public SecretDefinition? Load(Guid uuid)
    {
        foreach (var dir in Directories)
        {
            if (ReadIfPresent(DefinitionPath(dir, uuid)) is { } xml) return SecretXml.Parse(xml);
        }
        return null;
    }

    public void Save(SecretDefinition secret)
    {
        string dir = EnsureDirectory(DirectoryFor(secret));
        AtomicFile.Write(DefinitionPath(dir, secret.Uuid), SecretXml.Format(secret), FileMode);
    }

    /// <summary>Removes the definition and the value.</summary>
    public void Delete(Guid uuid)
    {
        foreach (var dir in Directories)
        {
            AtomicFile.Delete(ValuePath(dir, uuid));
            AtomicFile.Delete(DefinitionPath(dir, uuid));
        }
    }

    public void SaveValue(SecretDefinition secret, byte[] value)
    {
        string dir = EnsureDirectory(DirectoryFor(secret));
        AtomicFile.Write(ValuePath(dir, secret.Uuid), Convert.ToBase64String(value), FileMode);
    }

    /// <summary>The file that holds the value (base64), for consumers such as qemu that read secrets from files.</summary>
    public string ValueFile(SecretDefinition secret) => ValuePath(DirectoryFor(secret), secret.Uuid);

    /// <summary>The value, or null when none was ever set.</summary>
    public byte[]? LoadValue(SecretDefinition secret)
    {
        return ReadIfPresent(ValuePath(DirectoryFor(secret), secret.Uuid)) is { } text ? Convert.FromBase64String(text.Trim()) : null;
    }

    /// <summary>
    /// A file's text, or null when it is not there: read without asking first, because another process may undefine
    /// the secret between a look and the read (a listing racing an undefine must skip it, not fail).
    /// </summary>
    private static string? ReadIfPresent(string file)
    {
        try { return File.ReadAllText(file); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return null; }
    }

    /// <summary>Creates the directory 0700, and tightens it if it already exists wider.</summary>
    private static string EnsureDirectory(string dir)
    {
        Directory.CreateDirectory(dir, DirectoryMode);
        if (File.GetUnixFileMode(dir) != DirectoryMode)
            File.SetUnixFileMode(dir, DirectoryMode);
        return dir;
    }

    private static string DefinitionPath(string dir, Guid uuid) => Path.Combine(dir, uuid.ToString("D") + ".xml");
    private static string ValuePath(string dir, Guid uuid) => Path.Combine(dir, uuid.ToString("D") + ".base64");
}
