using KvmStor.Cli.Parsing;

namespace KvmStor.Cli.Commands;

/// <summary>Reads a file the user named (pool-define, pool-create, --srcSpec) with virsh's error text.</summary>
public static class UserFile
{
    public static string ReadXml(string path)
    {
        if (Directory.Exists(path))
            throw new CommandError(null, StorageException.System($"Failed to read file '{path}'", Host.Errno.EISDIR));
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CommandError(null, StorageException.System($"Failed to open file '{path}'", Host.Errno.FromException(e)));
        }
    }
}
