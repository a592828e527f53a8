using System.Runtime.CompilerServices;
using KvmStor.Backends;
using KvmStor.Backends.Iscsi;
using KvmStor.Model;

namespace KvmStor.Tests.Backends.Iscsi;

/// <summary>The recorded iscsiadm output and host trees in Recorded/ (read from the source tree, next to this file).</summary>
public static class IscsiRecorded
{
    public const string Target = "iqn.2024-01.test.kvmstor:target1";
    public const string Portal = "127.0.0.1:3260,1";
    public const string Initiator = "iqn.2024-01.test.kvmstor:initiator";

    public static string Read(string name) => File.ReadAllText(Path.Combine(Folder(), name));

    private static string Folder([CallerFilePath] string here = "") => Path.Combine(Path.GetDirectoryName(here)!, "Recorded");
}

/// <summary>
/// A recorded host tree (sysfs, /dev, the open-iscsi node database) materialised in a temp directory, with a
/// backend pointed at it through the replaying command runner.
/// </summary>
public sealed class IscsiTestHost : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("kvmstor-iscsi-").FullName;
    public ReplayRunner Runner { get; } = new();
    public IscsiHostPaths Paths => new(Path.Combine(Root, "sys"), Path.Combine(Root, "dev"), Path.Combine(Root, "etc-iscsi", "nodes"));

    public IscsiTestHost(string tree = "host-one-session.tree")
    {
        Directory.CreateDirectory(Paths.NodesDirectory);
        Directory.CreateDirectory(Paths.SysfsRoot);
        Directory.CreateDirectory(Paths.DevRoot);
        if (tree.Length > 0) Materialise(IscsiRecorded.Read(tree));
    }

    public IscsiPoolBackend Backend(IPoolSecrets? secrets = null, TimeSpan? networkLimit = null) =>
        new(Runner, secrets ?? new NoSecrets(), Paths, networkLimit);

    /// <summary>The node record iscsiadm --op new would have written for the default interface.</summary>
    public string WriteNodeRecord(string iface = "default")
    {
        string dir = Path.Combine(Paths.NodesDirectory, IscsiRecorded.Target, "127.0.0.1,3260,1");
        Directory.CreateDirectory(dir);
        string file = Path.Combine(dir, iface);
        File.WriteAllText(file, IscsiRecorded.Read("node-record-default.txt"));
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return file;
    }

    public static PoolDefinition Pool(string? extraSource = null, string targetPath = "/dev/disk/by-path") =>
        KvmStor.Xml.PoolXml.Parse($"""
            <pool type='iscsi'>
              <name>iscsi1</name>
              <source>
                <host name='127.0.0.1'/>
                <device path='{IscsiRecorded.Target}'/>{extraSource}
              </source>
              <target>
                <path>{targetPath}</path>
              </target>
            </pool>
            """);

    private void Materialise(string manifest)
    {
        foreach (var raw in manifest.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            string kind = line[..4].Trim(), rest = line[4..].Trim();
            switch (kind)
            {
                case "dir":
                    Directory.CreateDirectory(Full(rest));
                    break;
                case "file":
                    int eq = rest.IndexOf(" = ", StringComparison.Ordinal);
                    WriteFile(rest[..eq], rest[(eq + 3)..] + "\n");
                    break;
                case "node":
                    var parts = rest.Split(' ');
                    WriteFile(parts[0], "");
                    using (var s = File.OpenWrite(Full(parts[0]))) s.SetLength(long.Parse(parts[1]));
                    break;
                case "link":
                    int arrow = rest.IndexOf(" -> ", StringComparison.Ordinal);
                    string path = Full(rest[..arrow]);
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    File.CreateSymbolicLink(path, rest[(arrow + 4)..]);
                    break;
                default:
                    throw new InvalidDataException("bad tree line: " + raw);
            }
        }
    }

    private void WriteFile(string relative, string content)
    {
        string path = Full(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    private string Full(string relative) => Path.Combine(Root, relative);

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }

    private sealed class NoSecrets : IPoolSecrets
    {
        public byte[] ValueFor(PoolDefinition pool, PoolAuth auth) => throw new Xunit.Sdk.XunitException("no secret expected");
    }
}
