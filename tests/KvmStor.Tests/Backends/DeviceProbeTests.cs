using KvmStor.Host;

namespace KvmStor.Tests.Backends;

/// <summary>libvirt's device-emptiness decision (spec §3.10) over recorded blkid output.</summary>
public sealed class DeviceProbeTests
{
    private static DeviceContent? Probe(string recording, int exitCode = 0)
    {
        var runner = new ReplayRunner().Answer(DeviceProbe.BlkidCommand("/dev/loop1"), DiskData.Read(recording), exitCode);
        return new DeviceProbe(runner).Probe("/dev/loop1");
    }

    private static string Decide(DeviceContent? content, string expected, bool writeLabel, bool partitionTable = true)
    {
        try { DeviceProbeDecision.Require("/dev/loop1", expected, content, writeLabel, partitionTable); return "ok"; }
        catch (StorageException e) { return e.Display; }
    }

    [Fact]
    public void BlkidOutputGivesLabelAndFilesystem()
    {
        Assert.Equal(new DeviceContent(null, "gpt"), Probe("blkid-gpt-label.txt"));
        Assert.Equal(DeviceContent.Empty, Probe("blkid-blank.txt", exitCode: 2));
    }

    [Fact]
    public void WithoutBlkidPartedAnswers()
    {
        var runner = new ReplayRunner().Answer(PartedCommands.PrintLabel("/dev/loop1"),
            "Model: Loopback device (loopback)\nDisk /dev/loop1: 1074MB\nPartition Table: msdos\n");
        runner.Missing.Add("blkid");
        Assert.Equal(new DeviceContent(null, "dos"), new DeviceProbe(runner).Probe("/dev/loop1"));
    }

    [Fact]
    public void PartedAnswersForLabelsBlkidMisreads()
    {
        // blkid reads a dvh label as "sgi" and a pc98 label as "dos"; libvirt asks parted for these.
        var runner = new ReplayRunner().Answer(PartedCommands.PrintLabel("/dev/loop1"),
            "Model: Loopback device (loopback)\nDisk /dev/loop1: 1074MB\nPartition Table: pc98\n");
        Assert.Equal(new DeviceContent(null, "pc98"), new DeviceProbe(runner).ProbeForLabel("/dev/loop1", "pc98"));
        Assert.DoesNotContain(runner.Ran, c => c.StartsWith("blkid"));
    }

    [Fact]
    public void PartedsLoopLabelIsAFilesystemNotAnEmptyDevice()
    {
        var runner = new ReplayRunner().Answer(PartedCommands.PrintLabel("/dev/loop1"),
            "Model: Loopback device (loopback)\nDisk /dev/loop1: 1074MB\nPartition Table: loop\n\nNumber  Start  End     Size    File system  Flags\n 1      0.00B  1074MB  1074MB  ext4\n");
        runner.Missing.Add("blkid");
        var content = new DeviceProbe(runner).Probe("/dev/loop1");
        Assert.False(content!.IsEmpty);
        Assert.Equal("Storage pool already built: Format of device '/dev/loop1' does not match the expected format 'gpt', forced overwrite is necessary",
            Decide(content, "gpt", writeLabel: true));
    }

    [Fact]
    public void AnUnlabelledDeviceIsEmptyForParted()
    {
        var runner = new ReplayRunner().Answer(PartedCommands.PrintLabel("/dev/loop1"), "", exitCode: 1,
            stderr: "Error: /dev/loop1: unrecognised disk label\n");
        runner.Missing.Add("blkid");
        Assert.Equal(DeviceContent.Empty, new DeviceProbe(runner).Probe("/dev/loop1"));
    }

    [Fact]
    public void NoProbeToolMeansOverwriteIsNeeded()
    {
        var runner = new ReplayRunner();
        runner.Missing.UnionWith(["blkid", "parted"]);
        Assert.Null(new DeviceProbe(runner).Probe("/dev/loop1"));
        Assert.Equal("Storage pool probe failed: Unable to probe '/dev/loop1' for existing data, forced overwrite is necessary",
            Decide(null, "gpt", writeLabel: true));
    }

    [Theory]
    [InlineData(null, null, "gpt", true, "ok")]
    [InlineData(null, null, "gpt", false, "Storage pool probe failed: Device '/dev/loop1' is unrecognized, requires build")]
    [InlineData(null, "gpt", "gpt", true, "Storage pool already built: Device '/dev/loop1' already formatted using 'gpt'")]
    [InlineData(null, "gpt", "gpt", false, "ok")]
    [InlineData(null, "gpt", "dos", true, "Storage pool already built: Format of device '/dev/loop1' does not match the expected format 'dos', forced overwrite is necessary")]
    [InlineData(null, "gpt", "dos", false, "Requested operation is not valid: Format of device '/dev/loop1' does not match the expected format 'dos'")]
    [InlineData("ext4", null, "dos", true, "Storage pool already built: Format of device '/dev/loop1' does not match the expected format 'dos', forced overwrite is necessary")]
    public void DiskLabelDecisions(string? fs, string? label, string expected, bool writeLabel, string outcome) =>
        Assert.Equal(outcome, Decide(new DeviceContent(fs, label), expected, writeLabel));

    [Fact]
    public void FilesystemPoolsCompareTheFilesystem()
    {
        Assert.Equal("ok", Decide(new DeviceContent("LVM2_member", null), "lvm2", writeLabel: false, partitionTable: false));
        Assert.Equal("Storage pool already built: Device '/dev/loop1' already formatted using 'ext4'",
            Decide(new DeviceContent("ext4", null), "ext4", writeLabel: true, partitionTable: false));
    }
}
