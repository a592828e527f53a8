namespace KvmStor.Host;

/// <summary>
/// How long a command may run before the runner ends it (with everything it started), and what it waits for:
/// the start of the "Timed out during operation: …" error the run then fails with.
/// </summary>
public sealed record CommandTimeLimit(TimeSpan Bound, string What)
{
    /// <summary>A wait on a network server: the given bound, or KVMSTOR_NETWORK_TIMEOUT's when none is given.</summary>
    public static CommandTimeLimit Network(string what, TimeSpan? bound = null) => new(bound ?? NetworkTimeout.Limit, what);

    /// <summary>The error of a run that passed the limit.</summary>
    public StorageException Expired() => NetworkTimeout.TimedOut(What, Bound);
}
