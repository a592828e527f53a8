using System.Globalization;
using KvmStor.Cli.Parsing;
using KvmStor.Engine;

namespace KvmStor.Cli.Commands;

/// <summary>pool-event: waits for pool events and prints them as virsh does.</summary>
public static class PoolEventCommand
{
    public const string Lifecycle = "lifecycle";
    public const string Refresh = "refresh";

    public static CommandDefinition Event => new("pool-event", "wait for pool events",
        "Prints pool events (lifecycle changes or refreshes) as other kvmstor commands cause them: "
        + "the first one, or all of them with --loop until --timeout or Ctrl+C.",
        [
            OptionDefinition.Str(PoolLookup.PoolOption, "only events of this pool (name or UUID)").Taking(OptionValues.Pools(PoolStates.Any)),
            OptionDefinition.Str("event", "event type to wait for (see --list)").Taking(OptionValues.OneOf(Lifecycle, Refresh)),
            OptionDefinition.Flag("loop", "keep waiting after the first event"),
            OptionDefinition.Number("timeout", "give up after this many seconds"),
            OptionDefinition.Flag("list", "print the event types"),
            OptionDefinition.Flag("timestamp", "start each event line with its time"),
        ],
        RunEvent);

    /// <summary>One event line; null when the event is not of the requested type.</summary>
    public static string? Format(PoolEvent poolEvent, string eventType, bool timestamp)
    {
        string? line = eventType switch
        {
            Lifecycle when poolEvent.Lifecycle is { } change => $"event 'lifecycle' for storage pool {poolEvent.PoolName}: {change}",
            Refresh when poolEvent.IsRefresh => $"event 'refresh' for storage pool {poolEvent.PoolName}",
            _ => null,
        };
        if (line is null) return null;
        // libvirt's event time stamp: UTC, milliseconds, "+0000".
        return timestamp
            ? poolEvent.Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture) + "+0000: " + line + "\n"
            : line + "\n";
    }

    private static bool RunEvent(CommandContext context, ParsedCommand command)
    {
        var output = context.Output;
        if (command.Flag("list"))
        {
            output.Print(Lifecycle + "\n" + Refresh + "\n");
            return true;
        }
        string eventType = command.String("event") ?? throw new CommandError("either --list or --event <type> is required");
        if (eventType is not (Lifecycle or Refresh)) throw new CommandError($"unknown event type {eventType}");
        bool loop = command.Flag("loop");
        bool timestamp = command.Flag("timestamp");
        TimeSpan? timeout = Timeout(command);
        Guid? poolUuid = command.String(PoolLookup.PoolOption) is { } poolArgument
            ? PoolLookup.Find(context, poolArgument).Uuid
            : null;

        var interrupt = context.Services.Interrupt;
        using (interrupt.Listen())
            return Watch(context.Host.Pools.WatchEvents, poolUuid, eventType, loop, timestamp, timeout, context.Output, interrupt.Token);
    }

    /// <summary>
    /// The wait itself: prints matching events until the first (or, with <paramref name="loop"/>, until the timeout
    /// or Ctrl+C), then "events received: N". Succeeds only if something was received, as in virsh.
    /// </summary>
    public static bool Watch(Func<CancellationToken, IEnumerable<PoolEvent>> watch, Guid? poolUuid, string eventType,
        bool loop, bool timestamp, TimeSpan? timeout, Output.OutputWriter output, CancellationToken interrupt)
    {
        using var timer = new CancellationTokenSource();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(interrupt, timer.Token);
        if (timeout is { } t) timer.CancelAfter(t);

        int count = 0;
        bool done = false;
        try
        {
            foreach (var poolEvent in watch(stop.Token))
            {
                if (poolUuid is { } uuid && poolEvent.PoolUuid != uuid) continue;
                if (Format(poolEvent, eventType, timestamp) is not { } line) continue;
                output.Print(line);
                output.Out.Flush();
                count++;
                if (!loop) { done = true; break; }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Ctrl+C or the timeout: reported below.
        }
        if (!done && interrupt.IsCancellationRequested) output.Print("event loop interrupted\n");
        else if (!done && timer.IsCancellationRequested) output.Print("event loop timed out\n");
        output.Print($"events received: {count}\n");
        // virsh counts a wait that saw nothing as a failure (without a message).
        return count > 0;
    }

    /// <summary>--timeout in seconds: 1 … INT_MAX/1000 as virsh accepts it.</summary>
    private static TimeSpan? Timeout(ParsedCommand command)
    {
        string? text = command.String("timeout");
        if (text is null) return null;
        uint? seconds = command.UInt("timeout");
        if (seconds is 0 or > int.MaxValue / 1000) throw ParsedCommand.Malformed("timeout", text);
        return TimeSpan.FromSeconds(seconds!.Value);
    }
}
