using KvmStor.Host;
using KvmStor.Model;
using KvmStor.Xml;

namespace KvmStor.State;

/// <summary>
/// Persistent pool definitions: &lt;config&gt;/&lt;name&gt;.xml (mode 0600, libvirt's auto-generated-file comment) and
/// autostart symlinks &lt;config&gt;/autostart/&lt;name&gt;.xml pointing at them, as libvirt lays them out; both
/// directories 0700, so pool names are not listed to other users.
/// </summary>
public sealed class ConfigStore(StatePaths paths)
{
    public string PathOf(string name) => Path.Combine(paths.ConfigDirectory, name + ".xml");
    private string AutostartLinkOf(string name) => Path.Combine(paths.AutostartDirectory, name + ".xml");

    public IEnumerable<string> Names() => PoolFiles.Names(paths.ConfigDirectory);

    /// <summary>Parsed definitions kept while their files are unchanged (the server reads them on every call).</summary>
    private readonly ParsedFileCache<PoolDefinition> _parsed = new();

    public PoolDefinition? Load(string name) => PoolFiles.Load(_parsed, PathOf(name), name, PoolStateXml.ParseConfig);

    public void Save(PoolDefinition def)
    {
        PrivateDirectory.Ensure(paths.ConfigDirectory);
        AtomicFile.Write(PathOf(def.Name), PoolStateXml.FormatConfig(def.WithoutRuntimeData()));
    }

    public void Delete(string name)
    {
        SetAutostart(name, false);
        AtomicFile.Delete(PathOf(name));
    }

    public bool IsAutostart(string name)
    {
        try
        {
            var link = new FileInfo(AutostartLinkOf(name)).LinkTarget;
            return link is not null && Path.GetFullPath(link, paths.AutostartDirectory) == Path.GetFullPath(PathOf(name));
        }
        catch (IOException) { return false; }
    }

    public void SetAutostart(string name, bool autostart)
    {
        string link = AutostartLinkOf(name);
        if (!autostart)
        {
            AtomicFile.Delete(link);
            return;
        }
        PrivateDirectory.Ensure(paths.AutostartDirectory);
        if (IsAutostart(name)) return;
        AtomicFile.Delete(link);
        File.CreateSymbolicLink(link, Path.GetFullPath(PathOf(name)));
        Libc.FsyncDirectory(paths.AutostartDirectory);
    }
}
