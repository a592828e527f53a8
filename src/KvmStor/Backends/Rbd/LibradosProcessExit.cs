using KvmStor.Host;

namespace KvmStor.Backends.Rbd;

/// <summary>
/// Once librados has threads in this process — a connection was made (a command keeps it to its end), or a call to
/// the cluster timed out and is still waiting inside — letting the process end normally runs librados' C++ static
/// destructors under those threads, which can crash the process: seen as a SIGSEGV after an abandoned call, and as
/// SIGABRT ("boost::bad_get", a thread reading a configuration value already destroyed) after a plain `vol-list` on a
/// busy host. So the process then ends with _exit at ProcessExit, with the exit status the command already chose and
/// its output already flushed; the kernel closes the cluster's sockets.
/// </summary>
internal static class LibradosProcessExit
{
    private static int _registered;

    public static void Register()
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
