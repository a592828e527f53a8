using KvmStor.Backends;
using KvmStor.Backends.Logical;
using KvmStor.Model;
using KvmStor.Xml;

namespace KvmStor.Tests.Backends;

/// <summary>Pool-level steps of the logical backend against replayed lvm: the commands run, their order, and the errors.</summary>
public sealed class LogicalPoolReplayTests : IDisposable
{
    private const string Scan = "vgscan";
    private const string Pvs = "pvs --noheadings -o pv_name,vg_name";
    private const string Lvs = "lvs --separator # --noheadings --units b --unbuffered --nosuffix --options lv_name,origin,uuid,devices,segtype,stripes,seg_size,vg_extent_size,size,lv_attr,pool_lv,data_percent,origin_size vg0";
    private const string Vgs = "vgs --separator : --noheadings --units b --unbuffered --nosuffix --options vg_size,vg_free vg0";

    private readonly ReplayRunner _lvm = new();
    private readonly LogicalPoolBackend _backend;
    private readonly string _dir = Directory.CreateTempSubdirectory("kvmstor-logical-").FullName;

    public LogicalPoolReplayTests() => _backend = new LogicalPoolBackend(_lvm);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static PoolDefinition Pool(params string[] devices) => new()
    {
        Type = PoolType.Logical,
        Name = "vg0",
        Source = new PoolSource { Name = "vg0", Format = "lvm2", Devices = devices.Select(d => new PoolSourceDevice { Path = d }).ToList() },
        Target = new PoolTarget { Path = "/dev/vg0" },
    };

    [Fact]
    public void StartFindsTheGroupOnItsDevicesThenActivatesIt()
    {
        _lvm.Expect(Scan).ExpectData(Pvs, "pvs-sources.txt").Expect("vgchange -aly vg0");
        _backend.Start(Pool("/dev/sdc"));
        _lvm.AssertDone();
    }

    [Fact]
    public void StartWithoutTheGroupFails()
    {
        _lvm.Expect(Scan).Expect(Pvs, "  /dev/sdx   other\n");
        var e = Assert.Throws<StorageException>(() => _backend.Start(Pool("/dev/sdb")));
        Assert.Equal("Requested operation is not valid: cannot find logical volume group name 'vg0'", e.Display);
        _lvm.AssertDone();
    }

    [Fact]
    public void StartWithTheGroupOnOtherDevicesFails()
    {
        _lvm.Expect(Scan).ExpectData(Pvs, "pvs-sources.txt");
        var e = Assert.Throws<StorageException>(() => _backend.Start(Pool("/dev/sdd")));
        Assert.Equal("Requested operation is not valid: cannot find any matching source devices for logical volume group 'vg0'", e.Display);
    }

    [Fact]
    public void StopDeactivatesTheGroup()
    {
        _lvm.Expect("vgchange -aln vg0");
        _backend.Stop(Pool("/dev/sdb"));
        _lvm.AssertDone();
    }

    [Fact]
    public void FailedVgchangeReportsTheChildProcess()
    {
        _lvm.Expect("vgchange -aln vg0", exitCode: 5, stderr: "  Logical volume vg0/lv1 in use.\n");
        var e = Assert.Throws<StorageException>(() => _backend.Stop(Pool("/dev/sdb")));
        Assert.Equal("internal error: Child process (vgchange -aln vg0) unexpected exit status 5:   Logical volume vg0/lv1 in use.", e.Display);
    }

    [Fact]
    public void CheckNeedsTheTargetDirectory()
    {
        // /dev/vg0 does not exist here, so the pool is not running and lvm is not even asked.
        Assert.False(_backend.CheckActive(Pool("/dev/sdb")));
        Assert.Empty(_lvm.Ran);
    }

    [Fact]
    public void CheckWithTargetAndMatchingGroupIsActive()
    {
        var pool = Pool("/dev/sdb") with { Target = new PoolTarget { Path = _dir } };
        _lvm.Expect(Scan).ExpectData(Pvs, "pvs-sources.txt");
        Assert.True(_backend.CheckActive(pool));
        _lvm.Expect(Scan).Expect(Pvs, "");
        Assert.False(_backend.CheckActive(pool));
    }

    [Fact]
    public void RefreshListsVolumesAndSizesFromLvsAndVgs()
    {
        _lvm.ExpectData(Lvs, "lvs-vg0.txt").ExpectData(Vgs, "vgs-vg0.txt");
        var result = _backend.Refresh(Pool("/dev/sdb", "/dev/sdc"));
        Assert.Equal((68711088128UL, 64403537920UL, 68711088128UL - 64403537920UL), (result.Capacity, result.Available, result.Allocation));
        Assert.Equal(7, result.Volumes.Count);
        _lvm.AssertDone();
    }

    [Fact]
    public void DeleteRemovesTheGroupThenEveryPv()
    {
        _lvm.Expect("vgremove -f vg0").Expect("pvremove /dev/sdb").Expect("pvremove /dev/sdc");
        _backend.Delete(Pool("/dev/sdb", "/dev/sdc"));
        _lvm.AssertDone();
    }

    [Fact]
    public void FindSourcesListsEveryGroupWithItsPvs()
    {
        _lvm.Expect(Scan, exitCode: 5).ExpectData(Pvs, "pvs-sources.txt");
        Assert.Equal("""
            <sources>
              <source>
                <device path='/dev/sdb'/>
                <device path='/dev/sdc'/>
                <name>vg0</name>
                <format type='lvm2'/>
              </source>
              <source>
                <device path='/dev/sdd'/>
                <device path='/dev/sdf1'/>
                <name>backup</name>
                <format type='lvm2'/>
              </source>
            </sources>

            """, SourcesXml.Format(PoolType.Logical, _backend.FindSources(null)));
    }

    [Fact]
    public void MissingLvmNamesTheDebianPackage()
    {
        _lvm.Missing.Add("vgchange");
        var e = Assert.Throws<StorageException>(() => _backend.Stop(Pool("/dev/sdb")));
        Assert.Contains("Cannot find 'vgchange' in path", e.Message);
        Assert.Contains("Debian package lvm2", e.Message);
    }

    private string Device(string name, byte fill)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, Enumerable.Repeat(fill, 3 << 20).ToArray());
        return path;
    }

    [Fact]
    public void BuildProbesClearsAndCreatesPvsThenTheGroup()
    {
        string a = Device("a", 0xAA), b = Device("b", 0xBB);
        _lvm.Expect($"blkid -p -o export {a}", exitCode: 2).Expect($"pvcreate {a}")
            .Expect($"blkid -p -o export {b}", exitCode: 2).Expect($"pvcreate {b}")
            .Expect($"vgcreate vg0 {a} {b}");
        _backend.Build(Pool(a, b), PoolBuildFlags.None);
        _lvm.AssertDone();
        byte[] content = File.ReadAllBytes(a);
        Assert.False(content.AsSpan(0, 1 << 20).ContainsAnyExcept((byte)0));
        Assert.False(content.AsSpan(1 << 20, 1 << 20).ContainsAnyExcept((byte)0xAA));
        Assert.False(content.AsSpan(2 << 20).ContainsAnyExcept((byte)0));
    }

    [Fact]
    public void BuildRefusesADeviceWithAFilesystem()
    {
        string a = Device("a", 0xAA);
        _lvm.Expect($"blkid -p -o export {a}", $"DEVNAME={a}\nUUID=1234\nTYPE=ext4\nUSAGE=filesystem\n");
        var e = Assert.Throws<StorageException>(() => _backend.Build(Pool(a), PoolBuildFlags.None));
        Assert.Equal($"Storage pool already built: Format of device '{a}' does not match the expected format 'LVM2_member', forced overwrite is necessary", e.Display);
        Assert.False(File.ReadAllBytes(a).AsSpan().ContainsAnyExcept((byte)0xAA)); // untouched
        _lvm.AssertDone();
    }

    [Fact]
    public void BuildRefusesADeviceThatIsAlreadyAPv()
    {
        string a = Device("a", 0xAA);
        _lvm.Expect($"blkid -p -o export {a}", $"DEVNAME={a}\nTYPE=LVM2_member\nUSAGE=raid\n");
        var e = Assert.Throws<StorageException>(() => _backend.Build(Pool(a), PoolBuildFlags.NoOverwrite));
        Assert.Equal($"Storage pool already built: Device '{a}' already formatted using 'LVM2_member'", e.Display);
    }

    [Fact]
    public void BuildRefusesAPartitionTable()
    {
        string a = Device("a", 0xAA);
        _lvm.Expect($"blkid -p -o export {a}", $"DEVNAME={a}\nPTUUID=0f1e\nPTTYPE=gpt\n");
        Assert.Contains("forced overwrite is necessary", Assert.Throws<StorageException>(() => _backend.Build(Pool(a), PoolBuildFlags.None)).Message);
    }

    [Fact]
    public void BuildWithOverwriteDoesNotProbe()
    {
        string a = Device("a", 0xAA);
        _lvm.Expect($"pvcreate {a}").Expect($"vgcreate vg0 {a}");
        _backend.Build(Pool(a), PoolBuildFlags.Overwrite);
        _lvm.AssertDone();
    }

    [Fact]
    public void FailedVgcreateReleasesEveryPv()
    {
        string a = Device("a", 0xAA), b = Device("b", 0xBB);
        _lvm.Expect($"pvcreate {a}").Expect($"pvcreate {b}")
            .Expect($"vgcreate vg0 {a} {b}", exitCode: 5, stderr: "  A volume group called vg0 already exists.\n")
            .Expect($"pvremove {a}").Expect($"pvremove {b}");
        var e = Assert.Throws<StorageException>(() => _backend.Build(Pool(a, b), PoolBuildFlags.Overwrite));
        Assert.EndsWith("A volume group called vg0 already exists.", e.Message);
        _lvm.AssertDone();
    }

    [Fact]
    public void FailedPvcreateReleasesOnlyTheEarlierPvs()
    {
        string a = Device("a", 0xAA), b = Device("b", 0xBB);
        _lvm.Expect($"pvcreate {a}").Expect($"pvcreate {b}", exitCode: 5, stderr: "  Can't open exclusively.\n").Expect($"pvremove {a}");
        Assert.Throws<StorageException>(() => _backend.Build(Pool(a, b), PoolBuildFlags.Overwrite));
        _lvm.AssertDone();
    }

    [Fact]
    public void OverwriteAndNoOverwriteExcludeEachOther()
    {
        var e = Assert.Throws<StorageException>(() => _backend.Build(Pool("/dev/sdb"), PoolBuildFlags.Overwrite | PoolBuildFlags.NoOverwrite));
        Assert.Equal("invalid argument: Flags 'VIR_STORAGE_POOL_BUILD_OVERWRITE' and 'VIR_STORAGE_POOL_BUILD_NO_OVERWRITE' are mutually exclusive", e.Display);
        Assert.Empty(_lvm.Ran);
    }
}
