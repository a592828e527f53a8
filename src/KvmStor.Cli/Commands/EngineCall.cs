using KvmStor.Cli.Parsing;

namespace KvmStor.Cli.Commands;

/// <summary>Runs an engine call, turning its failure into virsh's two-line error.</summary>
public static class EngineCall
{
    public static void Run(string failureLine, Action action)
    {
        try { action(); }
        catch (StorageException e) { throw new CommandError(failureLine, e); }
    }

    public static T Run<T>(string failureLine, Func<T> action)
    {
        try { return action(); }
        catch (StorageException e) { throw new CommandError(failureLine, e); }
    }
}
