namespace KvmStor.Backends.Zfs;

/// <summary>
/// ZFS's naming rules, checked before any command runs: a dataset name is pool[/dataset…], each component made of
/// letters, digits and "_-:." only; a pool name starts with a letter and is none of the words zpool reserves.
/// libvirt passes names through and lets zfs refuse them; kvmstor refuses them itself, with the reason.
/// </summary>
public static class ZfsNames
{
    private static readonly string[] ReservedPoolNames = ["mirror", "raidz", "draid", "spare", "log"];

    /// <summary>The pool's source name (a pool, or a dataset inside one).</summary>
    public static void RequireValidDataset(string name)
    {
        if (name.Length == 0) throw Invalid(name, "it is empty");
        if (name.Length > 255) throw Invalid(name, "it is longer than 255 characters");
        var components = name.Split('/');
        if (components.Any(c => c.Length == 0)) throw Invalid(name, "it has an empty component (a leading, trailing or doubled '/')");
        foreach (var component in components) RequireValidComponent(name, component);
        string pool = components[0];
        if (!char.IsAsciiLetter(pool[0])) throw Invalid(name, "a pool name must begin with a letter");
        if (ReservedPoolNames.Any(r => pool.StartsWith(r, StringComparison.Ordinal)))
            throw Invalid(name, $"pool names beginning with '{ReservedPoolNames.First(r => pool.StartsWith(r, StringComparison.Ordinal))}' are reserved");
        if (pool.Length >= 2 && pool[0] == 'c' && char.IsAsciiDigit(pool[1]))
            throw Invalid(name, "pool names beginning with 'c' and a digit are reserved");
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

    private static void RequireValidComponent(string name, string component)
    {
        foreach (char c in component)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or ':' or '.'))
                throw Invalid(name, $"'{Printable(c)}' is not allowed (only letters, digits and _ - : . are)");
        if (component is "." or "..") throw Invalid(name, $"'{component}' is not a valid component");
    }

    private static string Printable(char c) => char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString();

    private static StorageException Invalid(string name, string why) =>
        StorageException.InvalidArg($"invalid ZFS name '{name}': {why}");
}
