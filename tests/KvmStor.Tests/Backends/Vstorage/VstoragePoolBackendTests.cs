using KvmStor.Host;
using KvmStor.Backends;
using KvmStor.Backends.Vstorage;
using KvmStor.Model;

namespace KvmStor.Tests.Backends.Vstorage;

/// <summary>
/// The vstorage backend: libvirt's vstorage-mount argv (mode in octal, owner and group by name), the mount-table check
/// against a replayed table, and file volumes in the target directory as in a dir pool.
/// </summary>
public sealed class VstoragePoolBackendTests : IDisposable
{
    private readonly FsScratch _scratch = new();
    private readonly ReplayRunner _runner = new();
    private readonly VstoragePoolBackend _backend;

    public VstoragePoolBackendTests() =>
        _backend = new VstoragePoolBackend(_runner, _scratch.MountTable, uid => $"user{uid}", gid => $"group{gid}");

    public void Dispose() => _scratch.Dispose();

    private PoolDefinition Pool(Permissions? permissions = null) => new()
    {
        Type = PoolType.Vstorage,
        Name = "vz",
        Source = new PoolSource { Name = "vzcluster1" },
        Target = new PoolTarget { Path = _scratch.Target, Permissions = permissions ?? new Permissions() },
    };

    private void MountRecordedTable() =>
        File.WriteAllText(_scratch.MountTable, RecordedOutput.Read("Vstorage", "mounts-vstorage.txt").Replace("/mnt/vstorage", _scratch.Target));

    [Fact]
    public void StartMountsWithTheTargetPermissions()
    {
        var pool = Pool(new Permissions { Mode = 0b111_101_000, Owner = 107, Group = 36 });
        _runner.Expect($"vstorage-mount -c vzcluster1 {_scratch.Target} -m 750 -g group36 -u user107");
        _backend.Start(pool);
        _runner.AssertDone();
    }

    [Fact]
    public void StartDefaultsToMode711AndTheEffectiveIds()
    {
        var cmd = VstorageMountCommand.Mount(Pool(), uid => $"u{uid}", gid => $"g{gid}", 1000, 1001);
        Assert.Equal(["-c", "vzcluster1", _scratch.Target, "-m", "711", "-g", "g1001", "-u", "u1000"], cmd.Arguments);
    }

    [Fact]
    public void RealNameLookupKnowsRoot() => Assert.Equal(("root", "root"), (AccountNames.User(0), AccountNames.Group(0)));

    [Fact]
    public void ActiveOnlyWhileTheClusterIsMountedOnTheTarget()
    {
        Directory.CreateDirectory(_scratch.Target);
        Assert.False(_backend.CheckActive(Pool()));
        MountRecordedTable();
        Assert.True(_backend.CheckActive(Pool()));
        // Another cluster on the same directory is not this pool.
        Assert.False(_backend.CheckActive(Pool() with { Source = new PoolSource { Name = "other" } }));
    }

    [Fact]
    public void StartOfAMountedPoolAndStopOfAnUnmountedOneRunNothing()
    {
        _backend.Stop(Pool());
        MountRecordedTable();
        _backend.Start(Pool());
        Assert.Empty(_runner.Ran);
    }

    [Fact]
    public void StopUnmountsTheTarget()
    {
        MountRecordedTable();
        _runner.Expect($"/bin/umount {_scratch.Target}");
        _backend.Stop(Pool());
        _runner.AssertDone();
    }

    [Fact]
    public void MissingClientIsNamed()
    {
        _runner.Missing.Add("vstorage-mount");
        var e = Assert.Throws<StorageException>(() => _backend.Start(Pool()));
        Assert.StartsWith("internal error: Cannot find 'vstorage-mount' in path", e.Display);
        Assert.Empty(_runner.Ran);
    }

    [Fact]
    public void VolumesAreFilesInTheTargetAsInADirPool()
    {
        _backend.Build(Pool(), PoolBuildFlags.None);
        Assert.True(Directory.Exists(_scratch.Target));
        var created = _backend.CreateVolume(Pool(), new VolumeDefinition { Name = "disk.img", Capacity = 1 << 20, Target = new VolumeTarget { Format = "raw" } },
            VolumeCreateFlags.None, null, default);
        string path = Path.Combine(_scratch.Target, "disk.img");
        Assert.Equal((path, path, VolumeType.File), (created.Target.Path, created.Key, created.Type));
        Assert.Equal(1 << 20, new FileInfo(path).Length);
        Assert.Equal(["disk.img"], _backend.ListVolumes(Pool()).Select(v => v.Name));
        _backend.DeleteVolume(Pool(), created, VolumeDeleteFlags.None);
        _backend.Delete(Pool());
        Assert.False(Directory.Exists(_scratch.Target));
    }
}
