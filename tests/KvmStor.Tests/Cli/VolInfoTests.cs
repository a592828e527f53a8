using System.Text.Json;

namespace KvmStor.Tests.Cli;

/// <summary>vol-list, vol-info, vol-dumpxml, vol-key, vol-path, vol-name, vol-pool.</summary>
public sealed class VolInfoTests : IDisposable
{
    private readonly VolumeCliSession _s = new();

    public void Dispose() => _s.Dispose();

    private string P(string volume) => _s.VolumePath("p1", volume);

    [Fact]
    public void ListTablesAreVirshTables()
    {
        _s.Ok("vol-create-as", "p1", "v1", "10M", "--format", "raw");
        _s.Ok("vol-create-as", "p1", "c0", "0");
        Directory.CreateDirectory(P("Sub"));
        int w = P("Sub").Length;
        string expected =
            " Name   Path\n" + new string('-', 7 + w + 3) + "\n"
            + $" c0     {P("c0")}\n"
            + $" Sub    {P("Sub")}\n"
            + $" v1     {P("v1")}\n\n";
        Assert.Equal(expected, _s.Ok("vol-list", "p1"));

        Directory.Delete(P("Sub"));
        w = P("v1").Length;
        string details =
            " Name   Path" + new string(' ', w - 4 + 3) + "Type   Capacity    Allocation\n"
            + new string('-', 7 + (w + 3) + 7 + 12 + 13) + "\n"
            + $" c0     {P("c0")}   file   0.00 B      0.00 B\n"
            + $" v1     {P("v1")}   file   10.00 MiB   10.00 MiB\n\n";
        Assert.Equal(details, _s.Ok("vol-list", "p1", "--details"));
    }

    [Fact]
    public void ListOfAnEmptyPool()
    {
        Assert.Equal(" Name   Path\n--------------\n\n", _s.Ok("vol-list", "p1"));
    }

    [Fact]
    public void ListOfInactiveOrMissingPool()
    {
        _s.AddPool("d1", start: false);
        Assert.Equal("error: Failed to list volumes\nerror: Requested operation is not valid: storage pool 'd1' is not active\n",
            _s.Fails("vol-list", "d1", "--details"));
        Assert.Equal("error: failed to get pool 'nosuch'\nerror: Storage pool not found: no storage pool with matching name 'nosuch'\n",
            _s.Fails("vol-list", "nosuch"));
    }

    [Fact]
    public void ListJson()
    {
        _s.Ok("vol-create-as", "p1", "v1", "1M", "--format", "raw");
        using var doc = JsonDocument.Parse(_s.Ok("vol-list", "p1", "--json"));
        var v = doc.RootElement[0];
        Assert.Equal("v1", v.GetProperty("name").GetString());
        Assert.Equal(P("v1"), v.GetProperty("path").GetString());
        Assert.Equal(P("v1"), v.GetProperty("key").GetString());
        Assert.Equal("file", v.GetProperty("type").GetString());
        Assert.Equal(1UL << 20, v.GetProperty("capacity").GetUInt64());
        Assert.Equal("raw", v.GetProperty("format").GetString());
        Assert.True(v.TryGetProperty("allocation", out _));
        Assert.True(v.TryGetProperty("physical", out _));
        // The global flag works as well.
        using var global = JsonDocument.Parse(_s.Ok("--json", "vol-list", "p1"));
        Assert.Equal(1, global.RootElement.GetArrayLength());
    }

    [Fact]
    public void InfoLinesAsVirshPrintsThem()
    {
        _s.Ok("vol-create-as", "p1", "v1", "10M", "--format", "raw");
        Assert.Equal("Name:           v1\nType:           file\nCapacity:       10.00 MiB\nAllocation:     10.00 MiB\n\n",
            _s.Ok("vol-info", "v1", "--pool", "p1"));
        Assert.Equal("Name:           v1\nType:           file\nCapacity:       10485760 bytes\nAllocation:     10485760 bytes\n\n",
            _s.Ok("vol-info", "v1", "--pool", "p1", "--bytes"));
        Assert.Equal("Name:           v1\nType:           file\nCapacity:       10485760 bytes\nPhysical:       10485760 bytes\n\n",
            _s.Ok("vol-info", P("v1"), "--bytes", "--physical"));
    }

    [Fact]
    public void InfoJson()
    {
        _s.Ok("vol-create-as", "p1", "v1", "1M");
        using var doc = JsonDocument.Parse(_s.Ok("vol-info", "v1", "--pool", "p1", "--json"));
        Assert.Equal("v1", doc.RootElement.GetProperty("name").GetString());
        Assert.Equal(1UL << 20, doc.RootElement.GetProperty("capacity").GetUInt64());
        Assert.Equal(1UL << 20, doc.RootElement.GetProperty("physical").GetUInt64());
    }

    [Fact]
    public void LookupFailures()
    {
        Assert.Equal("error: failed to get vol 'nosuch'\nerror: Storage volume not found: no storage vol with matching path 'nosuch'\n",
            _s.Fails("vol-info", "nosuch", "--pool", "p1"));
        Assert.Equal("error: failed to get vol 'nosuch', specifying --pool might help\nerror: Storage volume not found: no storage vol with matching path 'nosuch'\n",
            _s.Fails("vol-info", "nosuch"));
        Assert.Equal("error: failed to get vol 'nosuch', specifying --pool might help\nerror: Storage volume not found: no storage vol with matching path 'nosuch'\n",
            _s.Fails("vol-key", "nosuch"));
        Assert.Equal("error: failed to get pool 'nosuchpool'\nerror: Storage pool not found: no storage pool with matching name 'nosuchpool'\n",
            _s.Fails("vol-path", "nosuch", "--pool", "nosuchpool"));
        Assert.Equal("error: failed to get vol 'nosuch'\nerror: Storage volume not found: no storage vol with matching path 'nosuch'\n",
            _s.Fails("vol-name", "nosuch"));
        Assert.Equal("error: failed to get vol 'nosuch'\nerror: Storage volume not found: no storage vol with matching path 'nosuch'\n",
            _s.Fails("vol-pool", "nosuch"));
    }

    [Fact]
    public void InactivePoolIsReportedByTheCliItself()
    {
        _s.AddPool("d1", start: false);
        foreach (var command in new[] { "vol-info", "vol-dumpxml", "vol-delete", "vol-key", "vol-path", "vol-wipe" })
            Assert.Equal("error: pool 'd1' is not active\n", _s.Fails(command, "k", "--pool", "d1"));
        Assert.Equal("error: pool 'd1' is not active\n", _s.Fails("vol-upload", "k", "/nonexistent", "--pool", "d1"));
    }

    [Fact]
    public void PoolGivenByUuid()
    {
        _s.Ok("vol-create-as", "p1", "v1", "1M");
        string uuid = _s.Ok("pool-uuid", "p1").Trim();
        Assert.Equal(P("v1") + "\n\n", _s.Ok("vol-path", "v1", "--pool", uuid));
    }

    [Fact]
    public void VolumeOfAnotherPoolIsRefused()
    {
        _s.AddPool("p2");
        _s.Ok("vol-create-as", "p1", "v1", "1M");
        Assert.Equal($"error: Requested volume '{P("v1")}' is not in pool 'p2'\n", _s.Fails("vol-info", P("v1"), "--pool", "p2"));
    }

    [Fact]
    public void KeyPathNamePool()
    {
        Guid uuid;
        using (var host = _s.OpenHost()) uuid = host.Lookup.PoolByName("p1").Uuid;
        _s.Ok("vol-create-as", "p1", "v1", "1M");
        Assert.Equal(P("v1") + "\n\n", _s.Ok("vol-path", "v1", "--pool", "p1"));
        Assert.Equal(P("v1") + "\n\n", _s.Ok("vol-key", "v1", "--pool", "p1"));
        Assert.Equal(P("v1") + "\n\n", _s.Ok("vol-path", P("v1")));
        Assert.Equal("v1\n\n", _s.Ok("vol-name", P("v1")));
        Assert.Equal("p1\n\n", _s.Ok("vol-pool", P("v1")));
        Assert.Equal(uuid + "\n\n", _s.Ok("vol-pool", P("v1"), "--uuid"));
        // vol-name and vol-pool never take a bare name: they have no pool to look it in.
        Assert.Equal("error: failed to get vol 'v1'\nerror: Storage volume not found: no storage vol with matching path 'v1'\n",
            _s.Fails("vol-name", "v1"));
        // -q does not hide results.
        Assert.Equal("v1\n", CliRunner.Run(_s.Services(), "-q", "vol-name", P("v1")).Stdout);
    }

    [Fact]
    public void DumpXmlAndXpath()
    {
        _s.Ok("vol-create-as", "p1", "q1", "1M", "--format", "qcow2");
        string xml = _s.Ok("vol-dumpxml", "q1", "--pool", "p1");
        Assert.StartsWith("<volume type='file'>\n  <name>q1</name>\n", xml);
        Assert.Contains($"  <key>{P("q1")}</key>\n", xml);
        Assert.Equal("<format type=\"qcow2\"/>\n\n", _s.Ok("vol-dumpxml", "q1", "--pool", "p1", "--xpath", "//format"));
        Assert.Equal("<nodes>\n  <name>q1</name>\n</nodes>\n\n", _s.Ok("vol-dumpxml", "q1", "--pool", "p1", "--xpath", "/volume/name", "--wrap"));
    }
}
