using System.Runtime.ExceptionServices;

namespace KvmStor.Cli.Wrapper;

/// <summary>
/// The ./kvmstor wrapper's up-to-date check in flight. Its four hundred-odd statx calls cost more than the 1 ms the
/// wrapper may add (issue 15), so they run on a thread of their own: in the NativeAOT binary one started before the
/// runtime (<see cref="EarlySourceCheck"/>), otherwise one started first thing in Main, while the main thread
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
    private readonly Func<bool>? _earlyAnswer;
    private readonly Thread? _thread;
    private InputPass? _pass; // set by the check's thread once the list is read
    private ExceptionDispatchInfo? _failure;
    private bool _finished;

    /// <param name="rebuild">What a stale tree leads to: the wrapper's rebuild, an exec that does not return.</param>
    /// <param name="earlyAnswer">
    /// The answer of a check started before the runtime (<see cref="EarlySourceCheck"/>), when there is one: true means
    /// every input is unchanged; false, not certain, and the check runs again here. Without it, the check's own thread.
    /// </param>
    public SourceTreeCheck(string root, string[] args, Action<string, string[]> rebuild, Func<bool>? earlyAnswer = null)
    {
        (_root, _args, _rebuild, _earlyAnswer) = (root, args, rebuild, earlyAnswer);
        if (earlyAnswer is not null) return;
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
        _finished = true;
        if (_earlyAnswer is not null)
        {
            // Not certain early (usually something changed): the rule decides, on this thread.
            if (!_earlyAnswer() && !SourceTreeFreshness.IsCurrent(_root)) _rebuild(_root, _args);
            return;
        }
        Volatile.Read(ref _pass)?.Run(); // the inputs not yet claimed: stated here as well, not waited for
        _thread!.Join();
        _failure?.Throw();
        bool current;
        using (_pass) current = _pass is not null && _pass.Unchanged();
        if (!current) _rebuild(_root, _args);
    }
}
