namespace KvmStor.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        using var interrupt = new CancellationTokenSource();
        // Ctrl+C: commands that wait (pool-event) stop cleanly; the second Ctrl+C kills the process.
        Console.CancelKeyPress += (_, e) =>
        {
            if (interrupt.IsCancellationRequested) return;
            e.Cancel = true;
            interrupt.Cancel();
        };
        var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = false, NewLine = "\n" };
        var stderr = new StreamWriter(Console.OpenStandardError()) { AutoFlush = true, NewLine = "\n" };
        int rc = Cli.Run(args, stdout, stderr, CliServices.FromProcess(interrupt.Token));
        stdout.Flush();
        return rc;
    }
}
