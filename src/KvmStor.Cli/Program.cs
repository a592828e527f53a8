using System.Runtime.InteropServices;
using KvmStor.Cli.Wrapper;

namespace KvmStor.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        SourceTreeFreshness.RebuildIfStale(args); // run by ./kvmstor: rebuild first if a source changed
        using var interrupt = new InterruptSignal();
        // Ctrl+C stops a waiting pool-event or a long volume operation cleanly; anywhere else (or a second time) it ends the
        // process, and SIGTERM and SIGHUP do too: the external programs kvmstor runs are killed first.
        Console.CancelKeyPress += (_, e) => e.Cancel = interrupt.TryInterrupt();
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => interrupt.End());
        using var hangUp = PosixSignalRegistration.Create(PosixSignal.SIGHUP, _ => interrupt.End());
        var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = false, NewLine = "\n" };
        var stderr = new StreamWriter(Console.OpenStandardError()) { AutoFlush = true, NewLine = "\n" };
        int rc = Cli.Run(args, stdout, stderr, CliServices.FromProcess(interrupt));
        stdout.Flush();
        return rc;
    }
}
