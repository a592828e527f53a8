using KvmStor.Model;

namespace KvmStor.State;

/// <summary>What the config and status stores share: one &lt;name&gt;.xml per pool in a directory.</summary>
internal static class PoolFiles
{
    /// <summary>Pool names with a file in <paramref name="directory"/> (atomic writes' temporary files end in .tmp, not .xml).</summary>
    public static IEnumerable<string> Names(string directory)
    {
        if (!Directory.Exists(directory)) return [];
        return Directory.EnumerateFiles(directory, "*.xml").Select(f => Path.GetFileNameWithoutExtension(f));
    }

    /// <summary>
    /// The definition in <paramref name="path"/>, or null when there is none, it does not parse, or it names another
    /// pool (libvirt skips such files too: "config filename does not match pool name").
    /// </summary>
    public static PoolDefinition? Load(string path, string name, Func<string, PoolDefinition> parse)
    {
        // A missing file is the common case (a transient pool has no config, a stopped one no status): asked first,
        // since a thrown FileNotFoundException costs far more than the stat (the server loads both on every call).
        if (!File.Exists(path)) return null;
        string text;
        try { text = File.ReadAllText(path); }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }
        return ParseNamed(text, name, parse);
    }

    /// <summary><see cref="Load"/> through a cache of parsed files, read again only when the file changed.</summary>
    public static PoolDefinition? Load(ParsedFileCache<PoolDefinition> cache, string path, string name, Func<string, PoolDefinition> parse) =>
        cache.Get(path, text => ParseNamed(text, name, parse), () => Load(path, name, parse));

    private static PoolDefinition? ParseNamed(string text, string name, Func<string, PoolDefinition> parse)
    {
        try
        {
            var def = parse(text);
            return def.Name == name ? def : null;
        }
        catch (StorageException) { return null; }
    }
}
