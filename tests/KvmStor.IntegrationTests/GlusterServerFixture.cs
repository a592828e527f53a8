namespace KvmStor.IntegrationTests;

/// <summary>One glusterd for all gluster tests (one per machine); each test makes its own volume on it.</summary>
public sealed class GlusterServerFixture : IDisposable
{
    public GlusterServer Server { get; } = GlusterServer.Start();

    /// <summary>A new started one-brick volume with a unique name.</summary>
    public string NewVolume(string prefix)
    {
        string name = $"{prefix}{Guid.NewGuid().ToString("N")[..8]}";
        Server.CreateVolume(name);
        return name;
    }

    public void Dispose() => Server.Dispose();
}

/// <summary>Tests that use the live glusterd run one at a time, after each other, on the one server.</summary>
[CollectionDefinition(Name)]
public sealed class GlusterCollection : ICollectionFixture<GlusterServerFixture>
{
    public const string Name = "gluster server";
}
