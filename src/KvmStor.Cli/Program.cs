using System.Runtime.InteropServices;
using KvmStor.Cli.Wrapper;

namespace KvmStor.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        // Run by ./kvmstor: whether a source changed is checked beside the start-up below, which nobody outside the
        // process can see; Cli.Run settles it (rebuilding if so) before its first output or command.
        var sourceCheck = SourceTreeFreshness.Start(args);
        using var interrupt = new InterruptSignal();
        // Ctrl+C stops a waiting pool-event or a long volume operation cleanly; anywhere else (or a second time) it ends the
        // process, and SIGTERM and SIGHUP do too: the external programs kvmstor runs are killed first.
        Console.CancelKeyPress += (_, e) => e.Cancel = interrupt.TryInterrupt();
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => interrupt.End());
        using var hangUp = PosixSignalRegistration.Create(PosixSignal.SIGHUP, _ => interrupt.End());
        var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = false, NewLine = "\n" };
        var stderr = new StreamWriter(Console.OpenStandardError()) { AutoFlush = true, NewLine = "\n" };
        int rc = Cli.Run(args, stdout, stderr, CliServices.FromProcess(interrupt, sourceCheck is null ? null : sourceCheck.Finish));
        stdout.Flush();
        return rc;
    }
}
