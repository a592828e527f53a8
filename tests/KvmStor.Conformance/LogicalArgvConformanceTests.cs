using KvmStor.Backends.Logical;
using KvmStor.Host;
using KvmStor.Model;
using KvmStor.Tests.Backends;
using KvmStor.Xml;

namespace KvmStor.Conformance;

/// <summary>
/// libvirt's storagepoolxml2argvtest for logical pools: starting the pool of each storagepoolxml2xmlin file runs
/// vgchange, whose rendering must equal the golden .argv byte for byte. pool-logical has no xmlin file in the copy
/// here, so its xmlout file (the same pool as libvirt formats it) is the input.
/// </summary>
public class LogicalArgvConformanceTests
{
    [Theory]
    [InlineData("pool-logical", "storagepoolxml2xmlout")]
    [InlineData("pool-logical-create", "storagepoolxml2xmlin")]
    [InlineData("pool-logical-noname", "storagepoolxml2xmlin")]
    [InlineData("pool-logical-nopath", "storagepoolxml2xmlin")]
    public void StartRunsLibvirtsVgchange(string name, string inputDirectory)
    {
        var pool = PoolXml.Parse(File.ReadAllText(Path.Combine(SharedData.LibvirtTests, inputDirectory, name + ".xml")));
        // The pvs that start runs first finds the pool's own VG on its devices; vgchange is what the golden file checks.
        var devices = pool.Source.Devices.Select(d => d.Path).DefaultIfEmpty("/dev/sdz1");
        var runner = new ReplayRunner()
            .Answer(LvmCommands.VgScan(), "")
            .Answer(LvmCommands.PvsSources(), string.Concat(devices.Select(d => $"  {d} {pool.Source.Name}\n")))
            .AnswerAny("vgchange", 0);
        new LogicalPoolBackend(runner).Start(pool);

        string expected = File.ReadAllText(Path.Combine(SharedData.LibvirtTests, "storagepoolxml2argvdata", name + ".argv"));
        Assert.Equal(expected, runner.Commands.Single(c => c.Program == "vgchange").ToArgvString());
        Assert.Equal(["vgscan", "pvs", "vgchange"], runner.Commands.Select(c => c.Program));
    }

    /// <summary>
    /// No golden file exists for lvcreate; the expected lines are the spec's §3.3 forms for libvirt's own logical volume
    /// test files (capacity = allocation: thick; a backing store: "-s path" in place of the VG).
    /// </summary>
    [Theory]
    [InlineData("vol-logical", "lvcreate --name Swap -L 2031616K HostVG --yes")]
    [InlineData("vol-logical-backing", "lvcreate --name Swap -L 2031616K -s /dev/HostVG/snapshot --yes")]
    public void LibvirtsLogicalVolumesGiveTheSpecsLvcreate(string name, string expected)
    {
        var volume = VolumeXml.Parse(File.ReadAllText(Path.Combine(SharedData.LibvirtTests, "storagevolxml2xmlin", name + ".xml")), PoolType.Logical);
        ulong allocation = volume.HasAllocation ? volume.Allocation : volume.Capacity;
        Assert.Equal(expected, LvmCommands.LvCreate("HostVG", volume.Name, volume.Capacity, allocation, volume.BackingStore?.Path).ToString());
    }
}
