namespace KvmStor.Backends.Zfs;

/// <summary>
/// OpenZFS's naming rules, checked before any command runs: a dataset name is pool[/dataset…] of non-empty components
/// made of letters, digits, space and "_-:." only, shorter than 256 characters; a pool name starts with a letter, is
/// shorter than 240 characters (room for the $ORIGIN snapshot) and is no name zpool reserves. libvirt passes names
/// through and lets zfs refuse them; kvmstor refuses them itself, with the reason.
/// </summary>
public static class ZfsNames
{
    private const int MaxDatasetName = 255;
    private const int MaxPoolName = 239;

    // zpool create refuses pool names that begin with a vdev type's name, and "log" itself.
    private static readonly string[] ReservedPoolPrefixes = ["mirror", "raidz", "draid", "spare"];

    /// <summary>The pool's source name (a pool, or a dataset inside one).</summary>
    public static void RequireValidDataset(string name)
    {
        if (name.Length == 0) throw Invalid(name, "it is empty");
        if (name.Length > MaxDatasetName) throw Invalid(name, $"it is longer than {MaxDatasetName} characters");
        var components = name.Split('/');
        if (components.Any(c => c.Length == 0)) throw Invalid(name, "it has an empty component (a leading, trailing or doubled '/')");
        foreach (var component in components) RequireValidComponent(name, component);
        RequireValidPool(name, components[0]);
    }

    /// <summary>A volume's name: one component (kvmstor's volume names never hold '/').</summary>
    public static void RequireValidVolume(string volume)
    {
        if (volume.Length == 0) throw Invalid(volume, "it is empty");
        RequireValidComponent(volume, volume);
    }

    /// <summary>The zpool a dataset lives in: the name up to its first '/'.</summary>
    public static string PoolOf(string dataset)
    {
        int slash = dataset.IndexOf('/');
        return slash < 0 ? dataset : dataset[..slash];
    }

    private static void RequireValidPool(string name, string pool)
    {
        if (pool.Length > MaxPoolName) throw Invalid(name, $"a pool name is at most {MaxPoolName} characters long");
        if (!char.IsAsciiLetter(pool[0])) throw Invalid(name, "a pool name must begin with a letter");
        if (ReservedPoolPrefixes.FirstOrDefault(r => pool.StartsWith(r, StringComparison.Ordinal)) is { } prefix)
            throw Invalid(name, $"pool names beginning with '{prefix}' are reserved");
        if (pool == "log") throw Invalid(name, "the pool name 'log' is reserved");
        if (pool.Length >= 2 && pool[0] == 'c' && char.IsAsciiDigit(pool[1]))
            throw Invalid(name, "pool names beginning with 'c' and a digit are reserved (they look like disk names)");
    }

    private static void RequireValidComponent(string name, string component)
    {
        foreach (char c in component)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or ':' or '.' or ' '))
                throw Invalid(name, $"'{Printable(c)}' is not allowed (only letters, digits, space and _ - : . are)");
        // zfs would take these; /dev/zvol/<name> paths could not tell them from directories.
        if (component is "." or "..") throw Invalid(name, $"'{component}' is not a valid component");
    }

    private static string Printable(char c) => char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString();

    private static StorageException Invalid(string name, string why) =>
        StorageException.InvalidArg($"invalid ZFS name '{name}': {why}");
}
