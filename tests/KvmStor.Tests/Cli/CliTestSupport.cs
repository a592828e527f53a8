using KvmStor.Cli;
using KvmStor.Engine;

namespace KvmStor.Tests.Cli;

/// <summary>Runs kvmstor in-process and captures what it prints.</summary>
internal sealed record CliResult(int ExitCode, string Stdout, string Stderr);

internal static class CliRunner
{
    /// <summary>Runs with an engine that must not be touched: any attempt fails the run visibly.</summary>
    public static CliResult Run(params string[] args) => Run(new CliServices { OpenHost = NoEngine }, args);

    public static CliResult Run(CliServices services, params string[] args)
    {
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        int rc = KvmStor.Cli.Cli.Run(args, stdout, stderr, services);
        return new CliResult(rc, stdout.ToString(), stderr.ToString());
    }

    public static StorageHost NoEngine(string? uri) =>
        throw new InvalidOperationException("the engine was opened although this command must not need it");
}
