namespace KvmStor.IntegrationTests;

/// <summary>
/// sheepdog and zfs pools end to end through the real kvmstor binary and its process runner, with dog, zfs and zpool
/// replaced by stand-ins that replay recorded output (this machine has neither): the exact argument lists kvmstor
/// passes, and what virsh's commands print from the replies.
/// </summary>
public sealed class SheepdogZfsReplayCliTests : IDisposable
{
    private readonly KvmstorProcess _k = new();
    private readonly ReplayedTools _tools = new();

    public void Dispose()
    {
        _k.Dispose();
        _tools.Dispose();
    }

    private (int ExitCode, string Stdout, string Stderr) Run(params string[] args) => _k.RunWith(_tools.Environment, args);

    [Fact]
    public void SheepdogPoolListsVdisAndRefusesUpload()
    {
        const string At = "-a sheep1 -p 7001";
        _tools.Answer("dog", $"node info -r {At}", ReplayedTools.Recorded("Sheepdog", "node-info-r.txt"))
            .Answer("dog", $"vdi list -r {At}", ReplayedTools.Recorded("Sheepdog", "vdi-list-r.txt"))
            .Answer("dog", $"vdi list alice -r {At}", ReplayedTools.Recorded("Sheepdog", "vdi-list-r-alice.txt"))
            .Answer("dog", $"vdi list fresh -r {At}")
            .Answer("dog", $"vdi create fresh 1073741824 {At}");

        string xml = Path.Combine(_k.Root, "sd.xml");
        File.WriteAllText(xml, "<pool type='sheepdog'><name>sd</name><source><host name='sheep1' port='7001'/><name>sd1</name></source></pool>");
        Assert.Equal(0, Run("pool-define", xml).ExitCode);
        Assert.Equal((0, "Pool sd started\n\n", ""), Run("pool-start", "sd"));
        var list = Run("vol-list", "sd");
        Assert.Equal(0, list.ExitCode);
        Assert.Equal(["alice", "base", "my disk", "web01"],
            list.Stdout.Split('\n').Skip(2).Where(l => l.Trim().Length > 0).Select(l => l.Trim().Split("  ")[0]));
        Assert.Equal((0, "sd1/alice\n\n", ""), Run("vol-key", "alice", "--pool", "sd"));
        Assert.Equal((0, "Vol fresh created\n\n", ""), Run("vol-create-as", "sd", "fresh", "1G"));
        var upload = Run("vol-upload", "alice", "/dev/null", "--pool", "sd");
        Assert.Equal(1, upload.ExitCode);
        Assert.EndsWith("error: this function is not supported by the connection driver: storage pool doesn't support volume upload\n", upload.Stderr);
        Assert.Contains($"dog vdi create fresh 1073741824 {At}", _tools.Calls);
        Assert.DoesNotContain(_tools.Calls, c => !c.EndsWith(At, StringComparison.Ordinal));
    }

    [Fact]
    public void ZfsPoolStartsListsZvolsAndCreatesOne()
    {
        _tools.Answer("zpool", "get -Hp health,size,free,allocated tank", ReplayedTools.Recorded("Zfs", "zpool-get-tank.txt"))
            .Answer("zfs", "list -Hp -t volume -r -o name,volsize,refreservation tank", ReplayedTools.Recorded("Zfs", "zfs-list-volumes-tank.txt"))
            .Answer("zfs", "get", exitCode: 2, stderr: ReplayedTools.Recorded("Zfs", "zfs-get-usage-volmode.txt"))
            .Answer("zfs", "create -o volmode=dev -s -o refreservation=0K -V 2097152K tank/new")
            .Answer("zfs", "destroy tank/vm1")
            .Answer("zpool", "destroy tank");

        Assert.Equal(0, Run("pool-define-as", "zp", "zfs", "--source-name", "tank").ExitCode);
        Assert.Equal((0, "Pool zp started\n\n", ""), Run("pool-start", "zp"));
        Assert.Contains("Capacity:       99.75 GiB\n", Run("pool-info", "zp").Stdout);
        var list = Run("vol-list", "zp");
        Assert.Contains(" vm1    /dev/zvol/tank/vm1\n", list.Stdout);
        Assert.DoesNotContain("deep", list.Stdout);
        Assert.Equal((0, "Vol new created\n\n", ""), Run("vol-create-as", "zp", "new", "2G", "--allocation", "0"));
        Assert.Equal((0, "Vol vm1 deleted\n\n", ""), Run("vol-delete", "vm1", "--pool", "zp"));
        var bad = Run("vol-create-as", "zp", "bad*name", "1G");
        Assert.Equal(1, bad.ExitCode);
        Assert.EndsWith("error: invalid argument: invalid ZFS name 'bad*name': '*' is not allowed (only letters, digits, space and _ - : . are)\n", bad.Stderr);
        Assert.Equal(0, Run("pool-destroy", "zp").ExitCode);
        Assert.Equal((0, "Pool zp deleted\n\n", ""), Run("pool-delete", "zp"));
        Assert.Contains("zfs create -o volmode=dev -s -o refreservation=0K -V 2097152K tank/new", _tools.Calls);
        Assert.Equal("zpool destroy tank", _tools.Calls[^1]);
        Assert.DoesNotContain(_tools.Calls, c => c.Contains("bad*name"));
    }
}
