using KvmStor.Host;

namespace KvmStor.Backends.Rbd;

/// <summary>
/// After a call to the cluster timed out, librados still has threads waiting on that call. Letting the process end
/// normally then runs librados' C++ static destructors under those threads, which can crash the process (seen as a
/// SIGSEGV exit instead of status 1). So once a call was abandoned, the process ends with _exit at ProcessExit, with
/// the exit status the command already chose and its output already flushed.
/// </summary>
internal static partial class RbdAbandonedCalls
{
    private static int _registered;

    public static void Mark()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 0)
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                Console.Out.Flush();
                Console.Error.Flush();
                Libc._exit(Environment.ExitCode);
            };
    }
}
