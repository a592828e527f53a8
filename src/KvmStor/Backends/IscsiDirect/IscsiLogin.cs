namespace KvmStor.Backends.IscsiDirect;

/// <summary>
/// Everything needed to log in to one target: portal, target IQN (null for a discovery session), initiator IQN and
/// the CHAP user and password when the pool has &lt;auth type='chap'&gt;. The password is raw bytes the caller clears.
/// </summary>
internal sealed record IscsiLogin(IscsiPortal Portal, string? TargetIqn, string InitiatorIqn, string? ChapUser = null, byte[]? ChapPassword = null)
{
    /// <summary>Never prints the password.</summary>
    public override string ToString() => $"{TargetIqn ?? "discovery"} on {Portal}";
}
