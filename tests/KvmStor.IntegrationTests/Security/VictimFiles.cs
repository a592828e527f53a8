using System.Security.Cryptography;
using KvmStor.Host;

namespace KvmStor.IntegrationTests.Security;

/// <summary>
/// Root-only files outside any pool — a 0700 directory with a 0600 file and a sub-directory — that an attack would
/// like root to write, read, chmod or delete. <see cref="Snapshot"/> records every entry's kind, owner, mode, size and
/// content hash, so a test can assert afterwards that nothing changed.
/// </summary>
public sealed class VictimFiles : IDisposable
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("kvmstor-victim-").FullName;
    public string Secret => Path.Combine(Directory, "secret");
    public string SubDirectory => Path.Combine(Directory, "sub");

    public VictimFiles()
    {
        File.WriteAllBytes(Secret, RandomNumberGenerator.GetBytes(256 * 1024));
        File.SetUnixFileMode(Secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        System.IO.Directory.CreateDirectory(SubDirectory);
        File.WriteAllText(Path.Combine(SubDirectory, "inner"), "root's own data\n");
        File.SetUnixFileMode(Path.Combine(SubDirectory, "inner"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    public string Snapshot()
    {
        var lines = new List<string>();
        foreach (var path in System.IO.Directory.EnumerateFileSystemEntries(Directory, "*", SearchOption.AllDirectories).Prepend(Directory).Order())
        {
            var s = FileSystem.Stat(path, followLinks: false);
            string hash = s.Kind == FileKind.Regular ? Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path))) : "";
            lines.Add($"{path} {s.Kind} {s.Owner}:{s.Group} {Convert.ToString(s.Mode, 8)} {s.Size} {hash}");
        }
        return string.Join('\n', lines);
    }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
