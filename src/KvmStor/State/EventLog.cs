using KvmStor.Model;

namespace KvmStor.State;

/// <summary>
/// Pool events shared between processes without a daemon: every operation appends one line to
/// &lt;state&gt;/events.log, and a pool-event listener in another process follows the file from where it stood when it
/// started (see <see cref="AppendOnlyLog"/>).
/// </summary>
/// <param name="rotateAtBytes">Size past which the next writer moves the log to events.log.old.</param>
public sealed class EventLog(StatePaths paths, long rotateAtBytes = 1 << 20)
{
    private readonly AppendOnlyLog _log = new(paths, "events.log", rotateAtBytes);

    public void Append(PoolEvent e)
    {
        string kind = e.Lifecycle?.ToString() ?? "Refresh";
        _log.Append($"{e.Time.ToUnixTimeMilliseconds()}\t{e.PoolUuid}\t{kind}\t{Uri.EscapeDataString(e.PoolName)}");
    }

    /// <summary>Yields events appended after this call, polling the log; ends when <paramref name="cancel"/> fires.</summary>
    public IEnumerable<PoolEvent> Follow(CancellationToken cancel, TimeSpan? pollInterval = null)
    {
        var lines = _log.Follow(cancel, pollInterval); // the starting point is now, not when enumeration begins
        return lines.Select(Parse).OfType<PoolEvent>();
    }

    private static PoolEvent? Parse(string line)
    {
        var parts = line.Split('\t');
        if (parts.Length != 4 || !long.TryParse(parts[0], out long ms) || !Guid.TryParse(parts[1], out var uuid))
            return null;
        PoolLifecycleEvent? lifecycle = parts[2] == "Refresh" ? null
            : Enum.TryParse<PoolLifecycleEvent>(parts[2], out var l) ? l : null;
        if (lifecycle is null && parts[2] != "Refresh") return null;
        return new PoolEvent(Uri.UnescapeDataString(parts[3]), uuid, lifecycle, DateTimeOffset.FromUnixTimeMilliseconds(ms));
    }
}
