using KvmStor.Cli.Output;
using KvmStor.Cli.Parsing;
using KvmStor.Model;

namespace KvmStor.Cli.Commands;

/// <summary>
/// Runs an engine operation that may take long (create, clone, upload, download, wipe, allocating resize): a progress
/// bar on a terminal's stderr, Ctrl+C turned into cancellation (the engine leaves nothing half-made), and the
/// engine's failure reported under virsh's line for the command.
/// </summary>
public static class LongOperation
{
    public static T Run<T>(CommandContext context, string label, string failureLine, Func<ByteProgress, CancellationToken, T> operation)
    {
        var services = context.Services;
        var bar = new ProgressBar(context.Output.Err, label, services.StderrIsTerminal);
        using var listening = services.Interrupt.Listen();
        try
        {
            return operation(bar.Report, services.Interrupt.Token);
        }
        catch (StorageException e)
        {
            throw new CommandError(failureLine, e);
        }
        catch (Exception e) when (EngineCall.AsStorageException(e) is { } storage)
        {
            throw new CommandError(failureLine, storage);
        }
        catch (OperationCanceledException)
        {
            throw new CommandError(failureLine, new StorageException(ErrorCode.None, "operation interrupted"));
        }
        finally
        {
            bar.Finish();
        }
    }

    public static void Run(CommandContext context, string label, string failureLine, Action<ByteProgress, CancellationToken> operation) =>
        Run<bool>(context, label, failureLine, (progress, cancel) =>
        {
            operation(progress, cancel);
            return true;
        });
}
