using System.Globalization;

namespace KvmStor.Host;

/// <summary>
/// The bound on every call that waits for a network server (iSCSI target, Ceph monitor, Gluster or NFS server).
/// A dead server must not hang kvmstor. Configurable with KVMSTOR_NETWORK_TIMEOUT (seconds, fractions allowed); 30 s
/// by default. An external command gets the bound as its <see cref="CommandTimeLimit"/>: the runner ends it. Only a
/// native call that cannot be cancelled (librados, a stat of a mount that may be dead) goes through <see cref="Run{T}"/>:
/// it runs on its own thread and the command fails when the bound passes; that thread is left behind and ends with
/// the process.
/// </summary>
public static class NetworkTimeout
{
    public const string EnvironmentVariable = "KVMSTOR_NETWORK_TIMEOUT";
    public static readonly TimeSpan DefaultLimit = TimeSpan.FromSeconds(30);

    /// <summary>The configured bound (read each time, so tests and long-lived callers can change it).</summary>
    public static TimeSpan Limit
    {
        get
        {
            string? text = Environment.GetEnvironmentVariable(EnvironmentVariable);
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) && seconds > 0
                ? TimeSpan.FromSeconds(seconds) : DefaultLimit;
        }
    }

    /// <summary>Runs <paramref name="operation"/> and returns its result, or throws "Timed out during operation: …".</summary>
    /// <param name="what">What was waited for, e.g. "iSCSI login to 127.0.0.1:3260"; it starts the error text.</param>
    public static T Run<T>(string what, Func<T> operation, TimeSpan? limit = null)
    {
        TimeSpan bound = limit ?? Limit;
        T result = default!;
        System.Runtime.ExceptionServices.ExceptionDispatchInfo? failure = null;
        // Not disposed: a worker that outlives the bound still sets it when (if ever) the server answers.
        var done = new ManualResetEventSlim();
        var worker = new Thread(() =>
        {
            try { result = operation(); }
            catch (Exception e) { failure = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e); }
            finally { done.Set(); }
        }) { IsBackground = true, Name = "kvmstor-network" };
        worker.Start();
        if (!done.Wait(bound)) throw TimedOut(what, bound);
        failure?.Throw();
        return result;
    }

    /// <summary>The error for a wait on <paramref name="what"/> that passed <paramref name="bound"/>.</summary>
    public static StorageException TimedOut(string what, TimeSpan bound) =>
        new(ErrorCode.OperationTimeout,
            $"{what}: no answer within {bound.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s (KVMSTOR_NETWORK_TIMEOUT)");

    public static void Run(string what, Action operation, TimeSpan? limit = null) =>
        Run<bool>(what, () => { operation(); return true; }, limit);
}
