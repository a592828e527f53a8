using KvmStor.Backends.Scsi;
using KvmStor.Model;
using static KvmStor.Tests.Backends.Scsi.ScsiReplay;

namespace KvmStor.Tests.Backends.Scsi;

/// <summary>fc_host adapters: the vHBA is created through vport_create at start, marked managed, and deleted at stop.</summary>
public sealed class ScsiVhbaTests : IDisposable
{
    private readonly RecordedSysfs _sysfs = new();
    private readonly ReplayRunner _runner = Runner();

    public void Dispose() => _sysfs.Dispose();

    private ScsiPoolBackend Backend(double timeoutSeconds = 5) => new(_runner, _sysfs.Roots, TimeSpan.FromSeconds(timeoutSeconds));

    private string HbaAttribute(string name) => Path.Combine(_sysfs.Sys, "devices", FcPci, "host5", "fc_host", "host5", name);

    private void AnswerScsiIdForVhbaLuns()
    {
        foreach (var lun in new[] { "lun-0", "lun-1" })
            _runner.On(ScsiSerial.ExportCommand(_sysfs.Roots.OnHost($"/dev/disk/by-path/pci-0000:04:00.1-fc-0x5006016844602198-{lun}")).ToString(),
                0, Read("scsi_id-export-sdb.txt").Replace("ID_TARGET_PORT=1", "ID_TARGET_PORT=" + lun[^1]));
    }

    [Fact]
    public void StartCreatesTheVhbaOnTheNamedParentAndStopDeletesIt()
    {
        _sysfs.FcHba();
        using var kernel = new FakeVportKernel(_sysfs);
        AnswerScsiIdForVhbaLuns();
        var backend = Backend();
        var pool = Pool(FcAdapter(parent: "scsi_host5"));

        Assert.False(backend.CheckActive(pool));
        backend.Start(pool);
        // The fake kernel logs a write right after acting on it; start returns as soon as the vHBA is there.
        SpinWait.SpinUntil(() => kernel.Log.Count == 1, TimeSpan.FromSeconds(5));
        Assert.Equal([("vport_create", $"{VhbaWwpn}:{VhbaWwnn}")], kernel.Log);
        Assert.True(backend.CheckActive(pool));

        var refreshed = backend.Refresh(pool);
        Assert.True(refreshed.Source!.Adapter!.Managed);
        Assert.Equal(["unit:0:0:0", "unit:0:0:1"], refreshed.Volumes.Select(v => v.Name));
        Assert.Equal("36006016088d0280017ab8d14dc48e511_PORT0", refreshed.Volumes[0].Key);

        // A later process sees the live definition, managed='yes', and removes the vHBA it owns.
        var live = pool with { Source = refreshed.Source };
        Backend().Stop(live);
        SpinWait.SpinUntil(() => kernel.Log.Count == 2, TimeSpan.FromSeconds(5));
        Assert.Equal(("vport_delete", $"{VhbaWwpn}:{VhbaWwnn}"), kernel.Log.Last());
        SpinWait.SpinUntil(() => !backend.CheckActive(pool), TimeSpan.FromSeconds(5));
        Assert.False(backend.CheckActive(pool));
    }

    [Fact]
    public void WithoutParentAnOnlineHbaWithFreeVportsIsChosenAndAFailedStartRemovesTheVhbaAgain()
    {
        _sysfs.FcHba();
        using var kernel = new FakeVportKernel(_sysfs);
        var backend = Backend();
        var pool = Pool(FcAdapter());
        backend.Start(pool);
        SpinWait.SpinUntil(() => kernel.Log.Count == 1, TimeSpan.FromSeconds(5));
        // The engine stops a pool whose first refresh failed; the vHBA created by this start must go too.
        backend.Stop(pool);
        SpinWait.SpinUntil(() => kernel.Log.Count == 2, TimeSpan.FromSeconds(5));
        Assert.Equal(["vport_create", "vport_delete"], kernel.Log.Select(l => l.File));
    }

    [Fact]
    public void ParentWwnsAndFabricFindTheParentHba()
    {
        _sysfs.FcHba();
        using var kernel = new FakeVportKernel(_sysfs);
        Backend().Start(Pool(FcAdapter() with { ParentWwnn = HbaWwnn, ParentWwpn = HbaWwpn }));
        SpinWait.SpinUntil(() => kernel.Log.Count == 1, TimeSpan.FromSeconds(5));
        Assert.Equal("vport_create", Assert.Single(kernel.Log).File);
        Backend().Stop(Pool(FcAdapter(managed: true)));
        SpinWait.SpinUntil(() => kernel.Log.Count == 2, TimeSpan.FromSeconds(5));

        Backend().Start(Pool(FcAdapter() with { ParentFabricWwn = "0x" + Fabric.ToUpperInvariant() }));
        SpinWait.SpinUntil(() => kernel.Log.Count == 3, TimeSpan.FromSeconds(5));
        Assert.Equal(["vport_create", "vport_delete", "vport_create"], kernel.Log.Select(l => l.File));
    }

    [Fact]
    public void ExistingUnmanagedVhbaIsUsedAsIsAndLeftAlone()
    {
        _sysfs.FcHba().Vhba();
        var backend = Backend();
        var pool = Pool(FcAdapter(parent: "scsi_host5"));
        Assert.True(backend.CheckActive(pool));
        backend.Start(pool);
        backend.Stop(pool);
        Assert.Equal("", File.ReadAllText(HbaAttribute("vport_create")));
        Assert.Equal("", File.ReadAllText(HbaAttribute("vport_delete")));
    }

    [Fact]
    public void AVhbaThatNeverAppearsIsDeletedAgainAndReported()
    {
        _sysfs.FcHba();
        var e = Assert.Throws<StorageException>(() => Backend(timeoutSeconds: 0.3).Start(Pool(FcAdapter(parent: "host5"))));
        Assert.Equal($"internal error: vHBA with wwnn='{VhbaWwnn}', wwpn='{VhbaWwpn}' did not appear under host5 within 0.3 s", e.Display);
        Assert.Equal($"{VhbaWwpn}:{VhbaWwnn}", File.ReadAllText(HbaAttribute("vport_delete")));
    }

    [Theory]
    [InlineData("scsi_host9", null, "XML error: parent 'scsi_host9' specified for vHBA does not exist")]
    [InlineData("adapter5", null, "internal error: Invalid adapter name 'adapter5' for SCSI pool")]
    [InlineData(null, "fabric", "XML error: cannot find parent using provided fabric_wwn")]
    [InlineData(null, "wwns", "XML error: cannot find parent using provided wwnn/wwpn")]
    [InlineData(null, "offline", "XML error: 'parent' for vHBA not specified, and cannot find one on this host")]
    [InlineData(null, "full", "XML error: 'parent' for vHBA not specified, and cannot find one on this host")]
    public void ParentsThatCannotBeFoundWriteNothing(string? parent, string? other, string expected)
    {
        if (other == "offline") _sysfs.FcHba(state: "Linkdown");
        else if (other == "full") _sysfs.FcHba(maxVports: 2, inUse: 2);
        else _sysfs.FcHba();
        var adapter = FcAdapter(parent) with
        {
            ParentFabricWwn = other == "fabric" ? "2001000dec9877ff" : null,
            ParentWwnn = other == "wwns" ? "20000000c98300ff" : null,
            ParentWwpn = other == "wwns" ? "10000000c98300ff" : null,
        };
        var e = Assert.Throws<StorageException>(() => Backend().Start(Pool(adapter)));
        Assert.Equal(expected, e.Display);
        Assert.Equal("", File.ReadAllText(HbaAttribute("vport_create")));
    }

    [Fact]
    public void WwnsOfAPhysicalHbaAreAConfigurationError()
    {
        _sysfs.FcHba();
        var adapter = FcAdapter() with { Wwnn = HbaWwnn, Wwpn = HbaWwpn };
        var e = Assert.Throws<StorageException>(() => Backend().Start(Pool(adapter)));
        Assert.Equal("unsupported configuration: the wwnn/wwpn for 'host5' are assigned to an HBA", e.Display);
    }

    [Fact]
    public void ExistingVhbaUnderAnotherParentIsRefused()
    {
        _sysfs.FcHba().Vhba()
            .ScsiHost(7, "pci0000:00/0000:00:03.0/0000:04:00.0", uniqueId: 0, procName: "lpfc")
            .FcHost(7, "pci0000:00/0000:00:03.0/0000:04:00.0", "20000000c98300aa", "10000000c98300aa", Fabric, npivCapable: true);
        var e = Assert.Throws<StorageException>(() => Backend().Start(Pool(FcAdapter(parent: "scsi_host7"))));
        Assert.Equal("XML error: Parent attribute 'scsi_host7' does not match parent 'scsi_host5' determined for the 'host6' wwnn/wwpn lookup.", e.Display);
    }
}
