using KvmStor.Cli.Parsing;

namespace KvmStor.Cli.Commands;

/// <summary>Reads a file the user named (pool-define, pool-create, --srcSpec, secret files, man's README) with virsh's error text.</summary>
public static class UserFile
{
    public static string ReadXml(string path) => Read(path, File.ReadAllText);

    public static string ReadText(string path) => Read(path, File.ReadAllText);

    public static byte[] ReadBytes(string path) => Read(path, File.ReadAllBytes);

    private static T Read<T>(string path, Func<string, T> read)
    {
        if (Directory.Exists(path))
            throw new CommandError(null, StorageException.System($"Failed to read file '{path}'", Errno.EISDIR));
        try
        {
            return read(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CommandError(null, StorageException.System($"Failed to open file '{path}'", Errno.FromException(e)));
        }
    }
}
