using System.Xml.Linq;
using KvmStor.Backends;
using KvmStor.Engine;
using KvmStor.Model;
using KvmStor.Xml;
using static KvmStor.Backends.BackendCapabilities;

namespace KvmStor.Tests.Backends;

/// <summary>
/// Every pool type has its row of facts and its registered backend, and what each backend can do (derived from the
/// interfaces it implements) is pinned here as one matrix: a backend that gains or loses an interface fails this test
/// until the matrix, and with it pool-capabilities and the engine's errors, are meant to change.
/// </summary>
public sealed class PoolTypeTableTests
{
    private static readonly BackendRegistry Registry = BackendRegistry.CreateDefault();

    public static TheoryData<PoolType> AllTypes => new(Enum.GetValues<PoolType>());

    [Theory, MemberData(nameof(AllTypes))]
    public void Every_pool_type_has_its_facts(PoolType type)
    {
        var info = PoolTypeInfo.For(type);
        Assert.Equal(type, info.Type);
        Assert.True(PoolTypeNames.TryParse(info.XmlName, out var parsed));
        Assert.Equal(type, parsed);
        Assert.NotNull(info.VolumeFormats);
        Assert.True(Enum.IsDefined(info.NewVolumeType));
        Assert.True(Enum.IsDefined(info.SourceConflict));
        Assert.True(Enum.IsDefined(info.GuestDiskPaths));
        Assert.True(Enum.IsDefined(info.QemuDriver));
        Assert.True(Enum.IsDefined(info.Target));
        Assert.True(Enum.IsDefined(info.Namespace));
        // The engine's conflict check knows the type's rule (an unknown rule throws instead of allowing everything).
        var a = new PoolDefinition { Type = type, Name = "a" };
        PoolSourceConflicts.Find(a, [a with { Name = "b" }]);
    }

    [Fact]
    public void The_pool_type_table_has_one_row_per_type_in_libvirts_order_with_unique_names()
    {
        Assert.Equal(Enum.GetValues<PoolType>(), PoolTypeInfo.All.Select(i => i.Type));
        Assert.Equal(PoolTypeInfo.All.Count, PoolTypeInfo.All.Select(i => i.XmlName).Distinct().Count());
        Assert.Equal(["dir", "fs", "netfs", "logical", "disk", "iscsi", "iscsi-direct", "scsi", "mpath", "rbd", "sheepdog", "gluster", "zfs", "vstorage"],
            PoolTypeInfo.All.Select(i => i.XmlName));
        // libvirt's RPC places: one list-filter bit and one registration place per type, without gaps.
        Assert.Equal(Enumerable.Range(0, PoolTypeInfo.All.Count), PoolTypeInfo.All.Select(i => i.ListFilterBit).Order());
        Assert.Equal(Enumerable.Range(0, PoolTypeInfo.All.Count), PoolTypeInfo.All.Select(i => i.RegistrationOrder).Order());
    }

    [Theory, MemberData(nameof(AllTypes))]
    public void Every_pool_type_has_its_registered_backend(PoolType type)
    {
        var backend = Registry.Find(type);
        Assert.NotNull(backend);
        Assert.Equal(type, backend.Type);
        Assert.IsAssignableFrom<IVolumeBackend>(backend);
        Assert.True(Registry.IsSupported(type));
    }

    private const BackendCapabilities EveryVolumeOperation =
        CreateVolume | CreateVolumeFrom | DeleteVolume | ResizeVolume | UploadVolume | DownloadVolume | WipeVolume;

    private const BackendCapabilities DataOnly = UploadVolume | DownloadVolume | WipeVolume;

    /// <summary>
    /// The matrix the backends declared before capabilities were derived, with one difference: rbd now reports Check,
    /// because its check (connect to the cluster) always ran; only the flag was missing.
    /// </summary>
    public static TheoryData<PoolType, BackendCapabilities> Matrix => new()
    {
        { PoolType.Dir, Check | Build | Delete | Refresh | EveryVolumeOperation },
        { PoolType.Fs, Check | Build | Start | Stop | Delete | Refresh | FindSources | EveryVolumeOperation },
        { PoolType.NetFs, Check | Build | Start | Stop | Delete | Refresh | FindSources | EveryVolumeOperation },
        { PoolType.Logical, Check | Build | Start | Stop | Delete | Refresh | FindSources | CreateVolume | CreateVolumeFrom | DeleteVolume | DataOnly },
        { PoolType.Disk, Check | Build | Start | Delete | Refresh | FindSources | CreateVolume | CreateVolumeFrom | DeleteVolume | DataOnly },
        { PoolType.Iscsi, Check | Start | Stop | Refresh | FindSources | DataOnly },
        { PoolType.IscsiDirect, Check | Start | Stop | Refresh | FindSources | DataOnly },
        { PoolType.Scsi, Check | Start | Stop | Refresh | DataOnly },
        { PoolType.Mpath, Check | Refresh | DataOnly },
        { PoolType.Rbd, Check | Refresh | EveryVolumeOperation },
        { PoolType.Sheepdog, Refresh | CreateVolume | CreateVolumeFrom | DeleteVolume | ResizeVolume },
        { PoolType.Gluster, Check | Start | Stop | Refresh | FindSources | EveryVolumeOperation },
        { PoolType.Zfs, Check | Build | Delete | Refresh | EveryVolumeOperation },
        { PoolType.Vstorage, Check | Build | Start | Stop | Delete | Refresh | EveryVolumeOperation },
    };

    [Theory, MemberData(nameof(Matrix))]
    public void Capability_matrix(PoolType type, BackendCapabilities expected) =>
        Assert.Equal(expected, Registry.Find(type)!.Capabilities);

    [Fact]
    public void The_matrix_covers_every_pool_type() =>
        Assert.Equal(Enum.GetValues<PoolType>(), Matrix.Select(row => (PoolType)row[0]));

    [Theory]
    [InlineData(Delete, "pool does not support pool deletion")]
    [InlineData(FindSources, "pool type 'mpath' does not support source discovery")]
    [InlineData(CreateVolume, "storage pool does not support volume creation")]
    [InlineData(CreateVolumeFrom, "storage pool does not support volume creation from an existing volume")]
    [InlineData(DeleteVolume, "storage pool does not support vol deletion")]
    [InlineData(ResizeVolume, "storage pool does not support changing of volume capacity")]
    [InlineData(UploadVolume, "storage pool doesn't support volume upload")]
    [InlineData(DownloadVolume, "storage pool doesn't support volume download")]
    [InlineData(WipeVolume, "storage pool doesn't support volume wiping")]
    [InlineData(Check, null)]
    [InlineData(Build, null)]
    [InlineData(Start, null)]
    [InlineData(Stop, null)]
    [InlineData(Refresh, null)]
    public void Missing_capabilities_have_libvirts_texts(BackendCapabilities capability, string? text) =>
        Assert.Equal(text, BackendCapabilityTable.MissingText(capability, PoolType.Mpath));

    [Theory, MemberData(nameof(AllTypes))]
    public void A_backend_without_a_capability_is_refused_with_the_tables_text(PoolType type)
    {
        var backend = Registry.Find(type)!;
        foreach (var capability in Enum.GetValues<BackendCapabilities>().Where(c => c != None))
        {
            if (backend.Capabilities.HasFlag(capability) || BackendCapabilityTable.MissingText(capability, type) is not { } text)
                continue;
            var e = Assert.Throws<StorageException>(() => BackendCapabilityTable.Require(backend, capability));
            Assert.Equal(ErrorCode.NoSupport, e.Code);
            Assert.Equal(text, e.Message);
        }
    }

    [Fact]
    public void Pool_capabilities_list_every_registered_type_as_supported()
    {
        var document = XDocument.Parse(PoolCapabilitiesXml.Format(Registry.IsSupported));
        var pools = document.Root!.Elements("pool").ToList();
        Assert.Equal(PoolTypeInfo.All.Select(i => i.XmlName), pools.Select(p => p.Attribute("type")!.Value));
        Assert.All(pools, p => Assert.Equal("yes", p.Attribute("supported")!.Value));
    }
}
