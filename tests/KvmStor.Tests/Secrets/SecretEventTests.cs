using System.Text;
using KvmStor.Model;
using KvmStor.State;

namespace KvmStor.Tests.Secrets;

/// <summary>
/// The secret driver announces its changes as libvirt's secret driver raises events (define and redefine → DEFINED,
/// undefine → UNDEFINED, set-value → VALUE_CHANGED), through a log another process (kvmstor serve) follows.
/// </summary>
public sealed class SecretEventTests : IDisposable
{
    private const string Uuid = "5a0c3c7e-2f1b-4c1e-9d7a-1b2c3d4e5f60";
    private readonly TempStateDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Xml(string target) =>
        $"<secret ephemeral='no' private='yes'><uuid>{Uuid}</uuid><usage type='iscsi'><target>{target}</target></usage></secret>";

    private static List<SecretEvent> Take(IEnumerator<SecretEvent> listener, int count)
    {
        var seen = new List<SecretEvent>();
        while (seen.Count < count && listener.MoveNext()) seen.Add(listener.Current);
        return seen;
    }

    [Fact]
    public void Each_change_is_announced_once_in_order_with_what_a_secret_handle_holds()
    {
        using var writer = _dir.OpenHost();
        using var reader = _dir.OpenHost(); // another "process": only the files are shared
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var listener = reader.Secrets.WatchEvents(cancel.Token).GetEnumerator();

        writer.Secrets.Define(Xml("iqn.2026-01.test:a b\ttab"));
        writer.Secrets.SetValue(Uuid, Encoding.ASCII.GetBytes("v1"));
        writer.Secrets.Define(Xml("iqn.2026-01.test:a b\ttab")); // a redefinition is DEFINED again, as libvirt's
        writer.Secrets.Lookup(Uuid);
        writer.Secrets.GetXml(Uuid);                               // reads announce nothing
        writer.Secrets.Undefine(Uuid);

        var seen = Take(listener, 4);
        Assert.Equal([SecretLifecycleEvent.Defined, null, SecretLifecycleEvent.Defined, SecretLifecycleEvent.Undefined],
            seen.Select(e => e.Lifecycle));
        Assert.All(seen, e =>
        {
            Assert.Equal(Guid.Parse(Uuid), e.SecretUuid);
            Assert.Equal(SecretUsageType.Iscsi, e.UsageType);
            Assert.Equal("iqn.2026-01.test:a b\ttab", e.UsageId);
        });
        Assert.True(seen[1].IsValueChanged);
    }

    [Fact]
    public void A_failed_change_announces_nothing_and_the_value_never_reaches_the_log()
    {
        using var host = _dir.OpenHost();
        host.Secrets.Define(Xml("t1"));
        host.Secrets.SetValue(Uuid, Encoding.ASCII.GetBytes("Sup3r-S3cret-Value"));
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var listener = host.Secrets.WatchEvents(cancel.Token).GetEnumerator();

        // A usage change is refused, an unknown secret is not found: neither is announced.
        Assert.ThrowsAny<StorageException>(() => host.Secrets.Define(Xml("t2")));
        Assert.ThrowsAny<StorageException>(() => host.Secrets.Undefine("0a5f7c2e-1b1d-4d6e-9f00-3c2b1a000001"));
        host.Secrets.Undefine(Uuid);
        Assert.Equal([SecretLifecycleEvent.Undefined], Take(listener, 1).Select(e => e.Lifecycle));

        string log = File.ReadAllText(Path.Combine(_dir.Paths.StateDirectory, "secret-events.log"));
        Assert.DoesNotContain("Sup3r-S3cret-Value", log);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.ASCII.GetBytes("Sup3r-S3cret-Value")), log);
    }

    [Fact]
    public void Pool_listeners_never_see_secret_events()
    {
        using var host = _dir.OpenHost();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var pools = host.Pools.WatchEvents(cancel.Token).GetEnumerator();
        host.Secrets.Define(Xml("t1"));
        new EventLog(_dir.Paths).Append(new PoolEvent("p", Guid.NewGuid(), PoolLifecycleEvent.Defined, DateTimeOffset.UtcNow));
        Assert.True(pools.MoveNext());
        Assert.Equal("p", pools.Current.PoolName);
    }

    [Theory]
    [InlineData("1700000000000\t5a0c3c7e-2f1b-4c1e-9d7a-1b2c3d4e5f60\tDefined\t3")]                 // a field short
    [InlineData("1700000000000\t5a0c3c7e-2f1b-4c1e-9d7a-1b2c3d4e5f60\tStarted\t3\tx")]             // not a secret event
    [InlineData("1700000000000\t5a0c3c7e-2f1b-4c1e-9d7a-1b2c3d4e5f60\t7\t3\tx")]                   // a number is no name
    [InlineData("1700000000000\t5a0c3c7e-2f1b-4c1e-9d7a-1b2c3d4e5f60\tDefined\t99\tx")]            // no such usage type
    [InlineData("x\t5a0c3c7e-2f1b-4c1e-9d7a-1b2c3d4e5f60\tDefined\t3\tx")]
    public void Lines_that_are_not_secret_events_are_skipped(string line) => Assert.Null(SecretEventLog.Parse(line));
}
