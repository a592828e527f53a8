using System.Runtime.ExceptionServices;

namespace KvmStor.Cli.Wrapper;

/// <summary>
/// The ./kvmstor wrapper's up-to-date check in flight. Its four hundred-odd statx calls cost more than the 1 ms the
/// wrapper may add (issue 15), so they run on a thread of their own, started first thing in Main, while the main thread
/// goes on with start-up that nobody outside the process can see (signal handlers, streams, the command table,
/// parsing). <see cref="Finish"/> is the one place the two meet: the CLI calls it before its first output and before
/// any command (<see cref="CliServices.BeforeFirstEffect"/>); the main thread states its share of the inputs still left
/// there rather than wait idle, and a stale binary becomes the wrapper, rebuilding, as if it had checked first.
/// </summary>
internal sealed class SourceTreeCheck
{
    private readonly string _root;
    private readonly string[] _args;
    private readonly Action<string, string[]> _rebuild;
    private readonly Thread _thread;
    private InputPass? _pass; // set by the check's thread once the list is read
    private ExceptionDispatchInfo? _failure;
    private bool _finished;

    /// <param name="rebuild">What a stale tree leads to: the wrapper's rebuild, an exec that does not return.</param>
    public SourceTreeCheck(string root, string[] args, Action<string, string[]> rebuild)
    {
        (_root, _args, _rebuild) = (root, args, rebuild);
        _thread = new Thread(Check) { IsBackground = true, Name = "kvmstor source check" };
        _thread.UnsafeStart();
    }

    private void Check()
    {
        // An unexpected failure surfaces on the main thread in Finish, as it did when the check ran there.
        try
        {
            var pass = InputPass.Open(_root);
            Volatile.Write(ref _pass, pass);
            pass?.Run();
        }
        catch (Exception e) { _failure = ExceptionDispatchInfo.Capture(e); }
    }

    /// <summary>Waits for the check; returns when the binary is current, otherwise rebuilds (does not return).</summary>
    public void Finish()
    {
        if (_finished) return;
        Volatile.Read(ref _pass)?.Run(); // the inputs not yet claimed: stated here as well, not waited for
        _thread.Join();
        _finished = true;
        _failure?.Throw();
        bool current;
        using (_pass) current = _pass is not null && _pass.Unchanged();
        if (!current) _rebuild(_root, _args);
    }
}
