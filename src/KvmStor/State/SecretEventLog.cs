using KvmStor.Model;

namespace KvmStor.State;

/// <summary>
/// Secret events shared between processes, as <see cref="EventLog"/> shares pool events: every secret-define,
/// secret-undefine and secret-set-value of any kvmstor process appends a line to &lt;state&gt;/secret-events.log, and
/// `kvmstor serve` follows it, so its secret event subscribers see changes made by the CLI too. A separate file from
/// the pool events, so pool listeners never read secret lines. Carries no secret value, only what identifies a secret.
/// </summary>
public sealed class SecretEventLog(StatePaths paths, long rotateAtBytes = 1 << 20)
{
    private const string ValueChanged = "ValueChanged";

    private readonly AppendOnlyLog _log = new(paths, "secret-events.log", rotateAtBytes);

    public void Append(SecretEvent e)
    {
        string kind = e.Lifecycle?.ToString() ?? ValueChanged;
        _log.Append($"{e.Time.ToUnixTimeMilliseconds()}\t{e.SecretUuid}\t{kind}\t{(int)e.UsageType}\t{Uri.EscapeDataString(e.UsageId)}");
    }

    /// <summary>Yields events appended after this call, polling the log; ends when <paramref name="cancel"/> fires.</summary>
    public IEnumerable<SecretEvent> Follow(CancellationToken cancel, TimeSpan? pollInterval = null)
    {
        var lines = _log.Follow(cancel, pollInterval); // the starting point is now, not when enumeration begins
        return lines.Select(Parse).OfType<SecretEvent>();
    }

    internal static SecretEvent? Parse(string line)
    {
        var parts = line.Split('\t');
        if (parts.Length != 5 || !long.TryParse(parts[0], out long ms) || !Guid.TryParse(parts[1], out var uuid)
            || !int.TryParse(parts[3], out int usageType) || !Enum.IsDefined((SecretUsageType)usageType))
            return null;
        SecretLifecycleEvent? lifecycle;
        if (parts[2] == ValueChanged) lifecycle = null;
        else if (Enum.TryParse<SecretLifecycleEvent>(parts[2], out var l) && Enum.IsDefined(l)) lifecycle = l;
        else return null;
        return new SecretEvent(uuid, (SecretUsageType)usageType, Uri.UnescapeDataString(parts[4]), lifecycle,
            DateTimeOffset.FromUnixTimeMilliseconds(ms));
    }
}
