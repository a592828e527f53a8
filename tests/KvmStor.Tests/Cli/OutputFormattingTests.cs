using KvmStor.Cli.Output;
using KvmStor.Engine;
using KvmStor.Model;

namespace KvmStor.Tests.Cli;

/// <summary>Expected texts are virsh 9.0's, from reference/virsh-9.0.0-transcripts.txt.</summary>
public class OutputFormattingTests
{
    private static readonly PoolInfo RunningP1 = new()
    {
        Name = "p1",
        Uuid = Guid.Parse("aa3d4861-d2a0-43d8-89ee-16eaded32f7c"),
        Type = PoolType.Dir,
        State = PoolState.Running,
        Persistent = true,
        Autostart = false,
        Capacity = 270553174016,
        Allocation = 31090348032,
        Available = 239462825984,
    };

    private static readonly PoolInfo InactiveLongName = RunningP1 with
    {
        Name = "a-much-longer-pool-name",
        Uuid = Guid.Parse("7f9a5456-41a8-4d8a-9f00-4267339b5199"),
        State = PoolState.Inactive,
        Persistent = true,
        Autostart = true,
    };

    [Fact]
    public void PoolListTableWithOnePool()
    {
        Assert.Equal(
            " Name   State    Autostart\n" +
            "----------------------------\n" +
            " p1     active   no\n",
            PoolFormatting.Table([RunningP1]));
    }

    [Fact]
    public void EmptyPoolListTableKeepsHeaderWidths()
    {
        Assert.Equal(
            " Name   State   Autostart\n" +
            "---------------------------\n",
            PoolFormatting.Table([]));
    }

    [Fact]
    public void PoolListDetails()
    {
        Assert.Equal(
            " Name   State     Autostart   Persistent   Capacity     Allocation   Available\n" +
            "---------------------------------------------------------------------------------\n" +
            " p1     running   no          yes          251.97 GiB   28.96 GiB    223.02 GiB\n",
            PoolFormatting.DetailsTable([RunningP1]));
    }

    [Fact]
    public void DetailsOfAnInactivePoolShowDashesAndWidenColumns()
    {
        Assert.Equal(
            " Name                      State      Autostart   Persistent   Capacity     Allocation   Available\n" +
            "-----------------------------------------------------------------------------------------------------\n" +
            " a-much-longer-pool-name   inactive   yes         yes          -            -            -\n" +
            " p1                        running    no          yes          251.97 GiB   28.96 GiB    223.02 GiB\n",
            PoolFormatting.DetailsTable([InactiveLongName, RunningP1]));
    }

    [Fact]
    public void VirshTableLastColumnIsNotPadded()
    {
        var table = new VirshTable("A", "Long header");
        table.AddRow("wide cell", "x");
        Assert.Equal(" A           Long header\n--------------------------\n wide cell   x\n", table.Render());
    }

    [Fact]
    public void NamesUuidsAndBoth()
    {
        Assert.Equal("p1                  \n", PoolFormatting.UuidsAndNames([RunningP1], uuid: false, name: true));
        Assert.Equal("aa3d4861-d2a0-43d8-89ee-16eaded32f7c\n", PoolFormatting.UuidsAndNames([RunningP1], uuid: true, name: false));
        Assert.Equal("aa3d4861-d2a0-43d8-89ee-16eaded32f7c p1                  \n",
            PoolFormatting.UuidsAndNames([RunningP1], uuid: true, name: true));
    }

    [Fact]
    public void PoolInfoPretty()
    {
        Assert.Equal(
            "Name:           p1\n" +
            "UUID:           aa3d4861-d2a0-43d8-89ee-16eaded32f7c\n" +
            "State:          running\n" +
            "Persistent:     yes\n" +
            "Autostart:      no\n" +
            "Capacity:       251.97 GiB\n" +
            "Allocation:     28.96 GiB\n" +
            "Available:      223.02 GiB\n",
            PoolFormatting.Info(RunningP1, bytes: false));
    }

    [Fact]
    public void PoolInfoBytes()
    {
        Assert.Equal(
            "Name:           p1\n" +
            "UUID:           aa3d4861-d2a0-43d8-89ee-16eaded32f7c\n" +
            "State:          running\n" +
            "Persistent:     yes\n" +
            "Autostart:      no\n" +
            "Capacity:       270553174016\n" +
            "Allocation:     31090348032\n" +
            "Available:      239462825984\n",
            PoolFormatting.Info(RunningP1, bytes: true));
    }

    [Fact]
    public void PoolInfoOfAnInactivePoolHasNoSizes()
    {
        Assert.Equal(
            "Name:           a-much-longer-pool-name\n" +
            "UUID:           7f9a5456-41a8-4d8a-9f00-4267339b5199\n" +
            "State:          inactive\n" +
            "Persistent:     yes\n" +
            "Autostart:      yes\n",
            PoolFormatting.Info(InactiveLongName, bytes: false));
    }

    [Fact]
    public void DegradedPoolsShowSizesSmallOnesInBytes()
    {
        var degraded = RunningP1 with { State = PoolState.Degraded, Capacity = 1000, Allocation = 0, Available = 1536 };
        string info = PoolFormatting.Info(degraded, bytes: false);
        Assert.Contains("State:          degraded\n", info);
        Assert.Contains("Capacity:       1000.00 B\n", info);
        Assert.Contains("Allocation:     0.00 B\n", info);
        Assert.Contains("Available:      1.50 KiB\n", info);
    }

    [Fact]
    public void JsonHasStableFieldsAndByteNumbers()
    {
        Assert.Equal(
            "{\n" +
            "  \"name\": \"p1\",\n" +
            "  \"uuid\": \"aa3d4861-d2a0-43d8-89ee-16eaded32f7c\",\n" +
            "  \"type\": \"dir\",\n" +
            "  \"state\": \"running\",\n" +
            "  \"active\": true,\n" +
            "  \"persistent\": true,\n" +
            "  \"autostart\": false,\n" +
            "  \"capacity\": 270553174016,\n" +
            "  \"allocation\": 31090348032,\n" +
            "  \"available\": 239462825984\n" +
            "}\n",
            PoolJson.Serialize(RunningP1));
    }

    [Fact]
    public void JsonListOfPoolsHasNullSizesForInactivePools()
    {
        string json = PoolJson.Serialize([InactiveLongName with { Type = PoolType.IscsiDirect }]);
        using var document = System.Text.Json.JsonDocument.Parse(json);
        var pool = document.RootElement[0];
        Assert.Equal("iscsi-direct", pool.GetProperty("type").GetString());
        Assert.Equal("inactive", pool.GetProperty("state").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, pool.GetProperty("capacity").ValueKind);
    }
}
