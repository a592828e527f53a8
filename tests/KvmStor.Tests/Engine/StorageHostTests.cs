using KvmStor.Backends;
using KvmStor.Model;

namespace KvmStor.Tests.Engine;

/// <summary>The facade: services built once per connection, and what Dispose gives back to a shared registry.</summary>
public sealed class StorageHostTests : IDisposable
{
    private readonly TempStateDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly PoolDefinition IscsiPool = new()
    {
        Name = "p",
        Type = PoolType.Iscsi,
    };

    private static readonly PoolAuth Chap = new() { Type = AuthType.Chap, Username = "u", SecretUsage = "target" };

    [Fact]
    public void ServicesAreBuiltOncePerConnection()
    {
        using var host = _dir.OpenHost();
        Assert.Same(host.Secrets, host.Secrets);
        Assert.Same(host.Pools, host.Pools);
        Assert.Same(host.Volumes, host.Volumes);
        Assert.Same(host.Guests, host.Guests);
        Assert.Same(host.Lookup, host.Lookup);
    }

    [Fact]
    public void BackendsReadSecretsOfTheOpenHostOnly()
    {
        var registry = BackendRegistry.CreateDefault();
        var host = _dir.OpenHost(registry);
        host.Secrets.Define("<secret private='yes'><uuid>0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f</uuid>"
            + "<usage type='iscsi'><target>target</target></usage></secret>");
        host.Secrets.SetValue("0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f", "chap-password"u8.ToArray());

        Assert.Equal("chap-password"u8.ToArray(), registry.Secrets.ValueFor(IscsiPool, Chap));
        host.Dispose();

        var e = Assert.Throws<StorageException>(() => registry.Secrets.ValueFor(IscsiPool, Chap));
        Assert.Contains("no secret store is open", e.Message);
        Assert.Null(registry.VolumeFormats.Target);
    }

    [Fact]
    public void DisposingAnEarlierHostLeavesTheLaterHostsBridges()
    {
        var registry = BackendRegistry.CreateDefault();
        var first = _dir.OpenHost(registry);
        using var second = _dir.OpenHost(registry);
        first.Dispose();
        Assert.Same(second.Secrets, registry.Secrets.Target);
        Assert.NotNull(registry.VolumeFormats.Target);
    }
}
