namespace KvmStor.Host;

/// <summary>Reads and writes single sysfs attributes (one value, newline-terminated).</summary>
internal static class SysfsAttribute
{
    /// <summary>The attribute's first line, or null when the file is absent or unreadable.</summary>
    public static string? Read(string path)
    {
        try
        {
            if (!File.Exists(path)) return null;
            string text = File.ReadAllText(path);
            int newline = text.IndexOf('\n');
            return (newline >= 0 ? text[..newline] : text).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>A world-wide name as the kernel prints it ("0x2000…"), without the 0x, lower-case.</summary>
    public static string? ReadWwn(string path) => Read(path) is { } v ? NormalizeWwn(v) : null;

    public static string NormalizeWwn(string wwn) =>
        (wwn.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? wwn[2..] : wwn).ToLowerInvariant();

    /// <summary>
    /// Writes <paramref name="value"/> to an existing attribute. sysfs attributes are never created: opening without
    /// O_CREAT gives the kernel's ENOENT for a host that does not exist, which the caller turns into its message.
    /// </summary>
    public static void Write(string path, string value, Func<int, StorageException> onError)
    {
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Write);
            RandomAccess.Write(handle, System.Text.Encoding.ASCII.GetBytes(value), 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw onError(Errno.FromException(e));
        }
    }
}
