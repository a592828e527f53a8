using KvmStor.Cli.Parsing;

namespace KvmStor.Cli.Commands;

/// <summary>Runs an engine call, turning its failure into virsh's two-line error.</summary>
public static class EngineCall
{
    public static void Run(string failureLine, Action action) => Run<bool>(failureLine, () =>
    {
        action();
        return true;
    });

    public static T Run<T>(string failureLine, Func<T> action)
    {
        try { return action(); }
        catch (StorageException e) { throw new CommandError(failureLine, e); }
        catch (Exception e) when (AsStorageException(e) is { } storage) { throw new CommandError(failureLine, storage); }
    }

    /// <summary>
    /// A file-system failure that escaped a backend, in libvirt's "what: strerror" form; null for anything else. A
    /// failed system call (the host's FileSystemException) is an IOException whose message already has that form.
    /// </summary>
    public static StorageException? AsStorageException(Exception e) => e switch
    {
        IOException or UnauthorizedAccessException => new StorageException(ErrorCode.None, e.Message, e),
        _ => null,
    };
}
