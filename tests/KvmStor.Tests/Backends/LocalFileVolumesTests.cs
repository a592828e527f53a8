using KvmStor.Backends.Local;
using KvmStor.Host;
using KvmStor.Images.Qcow2;
using KvmStor.Model;

namespace KvmStor.Tests.Backends;

/// <summary>Volume operations of a dir pool through the engine, on real files in temp directories (no root).</summary>
public sealed class LocalFileVolumesTests : IDisposable
{
    private const int MiB = FileVolumeTestPool.MiB;
    private readonly FileVolumeTestPool _pool = new();

    public void Dispose() => _pool.Dispose();

    private static string Fails(Action action) => Assert.Throws<StorageException>(action).Display;

    private static byte[] Pattern(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>A raw volume with random data at [0,1) MiB and [5,6) MiB of 8 MiB, holes elsewhere.</summary>
    private string HalfHoleRaw(string name)
    {
        _pool.Create(name, "8388608", extra: "<allocation>0</allocation>");
        using var fs = new FileStream(_pool.PathOf(name), FileMode.Open, FileAccess.Write);
        fs.Write(Pattern(MiB, 1));
        fs.Position = 5 * MiB;
        fs.Write(Pattern(MiB, 2));
        return _pool.PathOf(name);
    }

    [Fact]
    public void Raw_without_allocation_is_fully_allocated_0600_and_listed()
    {
        var v = _pool.Create("r1.img", "4194304");
        var st = FileSystem.Stat(_pool.PathOf("r1.img"));
        Assert.Equal(4UL * MiB, st.Size);
        Assert.True(st.AllocatedBytes >= 4UL * MiB, $"allocated {st.AllocatedBytes}");
        Assert.Equal(0x180, st.Mode & 0x1FF);
        Assert.Equal(_pool.PathOf("r1.img"), v.Volume.Key);
        Assert.Equal("raw", v.Volume.Target.Format);
        Assert.Contains(_pool.Host.Volumes.List("p"), x => x.Name == "r1.img");
    }

    [Fact]
    public void Raw_with_allocation_zero_is_sparse_and_permissions_are_applied()
    {
        _pool.Create("s.img", "4194304", extra: "<allocation>0</allocation>",
            format: "raw' /><permissions><mode>0640</mode></permissions><format type='raw");
        var st = FileSystem.Stat(_pool.PathOf("s.img"));
        Assert.Equal(0UL, st.AllocatedBytes);
        Assert.Equal(0x1A0, st.Mode & 0x1FF);
    }

    [Fact]
    public void Iso_volumes_are_sparse_raw_files_and_creation_reports_progress()
    {
        var calls = new List<(long Done, long Total)>();
        _pool.Host.Volumes.Create("p", FileVolumeTestPool.VolumeXmlFor("cd.iso", "1048576", "iso"), VolumeCreateFlags.None, (d, t) => calls.Add((d, t)));
        var st = FileSystem.Stat(_pool.PathOf("cd.iso"));
        Assert.Equal(1UL * MiB, st.Size);
        Assert.Equal(0UL, st.AllocatedBytes);
        Assert.Equal([(MiB, MiB)], calls);
    }

    [Fact]
    public void Create_errors_carry_libvirts_texts()
    {
        _pool.Create("v1", "1048576");
        Assert.Equal("storage volume 'v1' exists already", Fails(() => _pool.Create("v1", "1048576")));
        Assert.Equal("Requested operation is not valid: volume name 'a/b' cannot contain '/'", Fails(() => _pool.Create("a/b", "1")));
        Assert.Equal("Requested operation is not valid: volume name '..' is not allowed", Fails(() => _pool.Create("..", "1")));
        Assert.Equal("unsupported configuration: metadata preallocation is not supported for raw volumes",
            Fails(() => _pool.Create("m", "1048576", flags: VolumeCreateFlags.PreallocMetadata)));
        Assert.Equal("unsupported configuration: backing storage not supported for raw volumes",
            Fails(() => _pool.Create("b", "1048576", extra: $"<backingStore><path>{_pool.PathOf("v1")}</path></backingStore>")));
        File.CreateSymbolicLink(_pool.PathOf("dangling"), "/nonexistent/kvmstor-test");
        Assert.Equal($"Requested operation is not valid: volume target path '{_pool.PathOf("dangling")}' already exists",
            Fails(() => _pool.Create("dangling", "1048576")));
        Assert.Equal(["dangling", "v1"], _pool.Entries());
    }

    [Fact]
    public void Files_made_outside_kvmstor_are_visible_without_refresh()
    {
        File.WriteAllBytes(_pool.PathOf("sneaky.img"), new byte[4096]);
        Assert.Equal(4096UL, _pool.Volume("sneaky.img").Volume.Capacity);
        Assert.Equal("storage volume 'sneaky.img' exists already", Fails(() => _pool.Create("sneaky.img", "1048576")));
        Assert.Equal("sneaky.img", _pool.Host.Lookup.VolumeByPath(_pool.PathOf("sneaky.img")).Name);
    }

    [Fact]
    public void Qcow2_defaults_to_compat_1_1_and_honours_xml_options()
    {
        _pool.Create("q.qcow2", "1073741824", "qcow2");
        var info = Qcow2Image.ReadHeaderInfo(_pool.PathOf("q.qcow2"));
        Assert.Equal("1.1", info.Compat);
        Assert.Equal(1L << 30, info.VirtualSize);
        Assert.Equal(65536, info.ClusterSize);

        _pool.Create("old.qcow2", "1048576", "qcow2' /><compat>0.10</compat><format type='qcow2");
        Assert.Equal("0.10", Qcow2Image.ReadHeaderInfo(_pool.PathOf("old.qcow2")).Compat);

        _pool.Create("lazy.qcow2", "1048576", "qcow2' /><clusterSize unit='B'>131072</clusterSize><features><lazy_refcounts/></features><format type='qcow2");
        var lazy = Qcow2Image.ReadHeaderInfo(_pool.PathOf("lazy.qcow2"));
        Assert.True(lazy.LazyRefcounts);
        Assert.Equal(131072, lazy.ClusterSize);

        Assert.Equal("unsupported configuration: lazy_refcounts not supported with compat level 0.10",
            Fails(() => _pool.Create("bad.qcow2", "1048576", "qcow2' /><compat>0.10</compat><features><lazy_refcounts/></features><format type='qcow2")));
    }

    [Fact]
    public void Qcow2_preallocation_follows_libvirts_metadata_or_falloc_rule()
    {
        _pool.Create("meta.qcow2", "67108864", "qcow2", extra: "<allocation>0</allocation>", flags: VolumeCreateFlags.PreallocMetadata);
        _pool.Create("falloc.qcow2", "67108864", "qcow2", flags: VolumeCreateFlags.PreallocMetadata);
        var meta = FileSystem.Stat(_pool.PathOf("meta.qcow2"));
        var falloc = FileSystem.Stat(_pool.PathOf("falloc.qcow2"));
        Assert.True(meta.Size > 64UL * MiB && meta.AllocatedBytes < 2UL * MiB, $"metadata: size {meta.Size}, allocated {meta.AllocatedBytes}");
        Assert.True(falloc.AllocatedBytes >= 64UL * MiB, $"falloc allocated {falloc.AllocatedBytes}");
    }

    [Fact]
    public void Overlay_probes_the_backing_format_and_a_missing_backing_fails()
    {
        _pool.Create("base.qcow2", "2097152", "qcow2");
        var overlay = _pool.Create("ov.qcow2", "", "qcow2", extra: $"<backingStore><path>{_pool.PathOf("base.qcow2")}</path></backingStore>");
        var info = Qcow2Image.ReadHeaderInfo(_pool.PathOf("ov.qcow2"));
        Assert.Equal(_pool.PathOf("base.qcow2"), info.BackingFile);
        Assert.Equal("qcow2", info.BackingFormat);
        Assert.Equal(2097152L, info.VirtualSize); // no <capacity>: the backing's size
        Assert.Equal("qcow2", overlay.Volume.BackingStore!.Format);

        Assert.Equal($"inaccessible backing store volume {_pool.PathOf("gone")}: No such file or directory",
            Fails(() => _pool.Create("ov2.qcow2", "1048576", "qcow2", extra: $"<backingStore><path>{_pool.PathOf("gone")}</path></backingStore>")));
        Assert.Equal("unsupported configuration: metadata preallocation conflicts with backing store",
            Fails(() => _pool.Create("ov3.qcow2", "1048576", "qcow2", extra: $"<backingStore><path>{_pool.PathOf("base.qcow2")}</path></backingStore>",
                flags: VolumeCreateFlags.PreallocMetadata)));
        Assert.DoesNotContain(_pool.Entries(), e => e.StartsWith("ov2") || e.StartsWith("ov3") || e.StartsWith(VolumeBuildArea.Prefix));
    }

    [Fact]
    public void Dir_volumes_are_made_0600_and_deleted_with_libvirts_texts()
    {
        var d = _pool.Create("sub", "0", "dir");
        Assert.Equal(KvmStor.Model.VolumeType.Dir, d.Volume.Type);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_pool.PathOf("sub")));
        File.SetUnixFileMode(_pool.PathOf("sub"), (UnixFileMode)0b111_000_000);
        File.WriteAllText(Path.Combine(_pool.PathOf("sub"), "x"), "x");
        Assert.Equal($"cannot remove directory '{_pool.PathOf("sub")}': Directory not empty",
            Fails(() => _pool.Host.Volumes.Delete(_pool.Volume("sub"), VolumeDeleteFlags.None)));
        Assert.Equal("Failed to open storage volume with path '" + _pool.PathOf("sub") + "': Is a directory",
            Fails(() => _pool.Host.Volumes.Wipe(_pool.Volume("sub"), WipeAlgorithm.Zero)));
        File.Delete(Path.Combine(_pool.PathOf("sub"), "x"));
        _pool.Host.Volumes.Delete(_pool.Volume("sub"), VolumeDeleteFlags.None);
        Assert.False(Directory.Exists(_pool.PathOf("sub")));
    }

    [Fact]
    public void Delete_unlinks_ignores_a_vanished_file_and_refuses_delete_snapshots()
    {
        var v = _pool.Create("d.img", "1048576");
        Assert.Equal("invalid argument: unsupported flags (0x2) in function virStorageBackendVolDeleteLocal",
            Fails(() => _pool.Host.Volumes.Delete(v, VolumeDeleteFlags.DeleteSnapshots)));
        File.Delete(_pool.PathOf("d.img"));
        _pool.Host.Volumes.Delete(v, VolumeDeleteFlags.None); // ENOENT ignored, as libvirt
        _pool.Create("e.img", "1048576");
        _pool.Host.Volumes.Delete(_pool.Volume("e.img"), VolumeDeleteFlags.None);
        Assert.Empty(_pool.Entries());
    }

    [Fact]
    public void Raw_clone_keeps_bytes_and_holes_and_reports_progress()
    {
        string src = HalfHoleRaw("src.img");
        var calls = new List<(long, long)>();
        var clone = _pool.Host.Volumes.CreateFrom("p", FileVolumeTestPool.VolumeXmlFor("c.img", ""), _pool.Volume("src.img"),
            VolumeCreateFlags.None, (d, t) => calls.Add((d, t)));
        Assert.Equal(8UL * MiB, clone.Volume.Capacity);
        Assert.True(File.ReadAllBytes(src).AsSpan().SequenceEqual(File.ReadAllBytes(_pool.PathOf("c.img"))));
        Assert.True(FileSystem.Stat(_pool.PathOf("c.img")).AllocatedBytes <= 3UL * MiB);
        Assert.NotEmpty(calls);
        Assert.Equal(calls[^1].Item2, calls[^1].Item1);
        Assert.Equal("internal error: storage volume name 'c.img' already in use.",
            Fails(() => _pool.Host.Volumes.CreateFrom("p", FileVolumeTestPool.VolumeXmlFor("c.img", ""), _pool.Volume("src.img"), VolumeCreateFlags.None)));
    }

    [Fact]
    public void Clone_grows_to_a_larger_requested_capacity()
    {
        HalfHoleRaw("src.img");
        var clone = _pool.Host.Volumes.CreateFrom("p", FileVolumeTestPool.VolumeXmlFor("big.img", "16777216"), _pool.Volume("src.img"), VolumeCreateFlags.None);
        Assert.Equal(16UL * MiB, clone.Volume.Capacity);
        var small = _pool.Host.Volumes.CreateFrom("p", FileVolumeTestPool.VolumeXmlFor("small.img", "1024"), _pool.Volume("src.img"), VolumeCreateFlags.None);
        Assert.Equal(8UL * MiB, small.Volume.Capacity);
    }

    [Fact]
    public void Qcow2_clones_read_the_guest_content_and_flatten_overlays()
    {
        string src = HalfHoleRaw("src.img");
        byte[] expected = File.ReadAllBytes(src);
        _pool.Host.Volumes.CreateFrom("p", FileVolumeTestPool.VolumeXmlFor("q.qcow2", "", "qcow2"), _pool.Volume("src.img"), VolumeCreateFlags.None);
        _pool.Create("ov.qcow2", "", "qcow2", extra: $"<backingStore><path>{_pool.PathOf("q.qcow2")}</path></backingStore>");
        using (var ov = Qcow2Image.Open(_pool.PathOf("ov.qcow2"), writable: true))
        {
            ov.Write(7 * MiB, Pattern(4096, 3));
            ov.Flush();
        }
        Pattern(4096, 3).CopyTo(expected, 7 * MiB);

        var flat = _pool.Host.Volumes.CreateFrom("p", FileVolumeTestPool.VolumeXmlFor("flat.img", "", "raw"), _pool.Volume("ov.qcow2"), VolumeCreateFlags.None);
        Assert.True(expected.AsSpan().SequenceEqual(File.ReadAllBytes(_pool.PathOf("flat.img"))));
        Assert.Null(flat.Volume.BackingStore);

        var flatQ = _pool.Host.Volumes.CreateFrom("p", FileVolumeTestPool.VolumeXmlFor("flat.qcow2", "", "qcow2"), _pool.Volume("ov.qcow2"), VolumeCreateFlags.None);
        Assert.Null(flatQ.Volume.BackingStore);
        using var image = Qcow2Image.Open(_pool.PathOf("flat.qcow2"), writable: false);
        var actual = new byte[expected.Length];
        image.Read(0, actual);
        Assert.True(expected.AsSpan().SequenceEqual(actual));
    }

    [Fact]
    public void Cancelled_clone_leaves_nothing_behind()
    {
        HalfHoleRaw("src.img");
        using var cts = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => _pool.Host.Volumes.CreateFrom("p", FileVolumeTestPool.VolumeXmlFor("q.qcow2", "", "qcow2"),
            _pool.Volume("src.img"), VolumeCreateFlags.None, (_, _) => cts.Cancel(), cts.Token));
        Assert.Equal(["src.img"], _pool.Entries());
    }

    [Fact]
    public void Failed_qemu_img_build_leaves_nothing_and_missing_qemu_img_names_the_package()
    {
        using var failing = new FileVolumeTestPool(new ReplayRunner().AnswerAny("qemu-img", 1, stderr: "boom"));
        string error = Fails(() => failing.Create("v.vmdk", "1048576", "vmdk"));
        Assert.StartsWith("internal error: Child process (qemu-img create -f vmdk", error);
        Assert.EndsWith("unexpected exit status 1: boom", error);
        Assert.Empty(failing.Entries());

        var absent = new ReplayRunner();
        absent.Missing.Add("qemu-img");
        using var missing = new FileVolumeTestPool(absent);
        Assert.Contains("qemu-utils", Fails(() => missing.Create("v.vmdk", "1048576", "vmdk")));
        Assert.Empty(absent.Ran);
    }

    [Fact]
    public void Qemu_img_builds_in_the_private_area_through_our_handle_and_errors_name_the_volume()
    {
        var runner = new ReplayRunner().AnswerAny("qemu-img", 0);
        using var pool = new FileVolumeTestPool(runner);
        string error = Fails(() => pool.Create("v.vdi", "1048576", "vdi")); // the scripted runner made no file
        string path = runner.Commands.Single().Arguments[^2];
        Assert.Matches($"^/proc/{Environment.ProcessId}/fd/[0-9]+/volume$", path);
        Assert.DoesNotContain("/proc/", error);
        Assert.Contains(pool.PathOf("v.vdi"), error);
        Assert.Empty(pool.Entries()); // the build area went with the failure
    }

    [Fact]
    public void Stale_build_files_are_removed_and_live_ones_hidden()
    {
        string host = Environment.MachineName.Replace('.', '_'), p = VolumeBuildArea.Prefix;
        // Files of earlier versions ("<prefix><name>.<host>.<pid>"): a dead process's plain file goes, the rest stays.
        File.WriteAllText(_pool.PathOf(p + $"dead.img.{host}.999999999"), "x");
        File.WriteAllText(_pool.PathOf(p + $"live.img.{host}.1"), "x"); // pid 1 is alive
        // Another host's partial file (a shared NFS pool): its pid means nothing here, so it is left alone.
        File.WriteAllText(_pool.PathOf(p + "remote.img.otherhost.999999999"), "x");
        // A dead process's private build area (0700, ours) is emptied entry by entry and removed.
        string area = _pool.PathOf(p + $"{host}.999999999.{new string('a', 24)}");
        Directory.CreateDirectory(area, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(Path.Combine(area, "volume"), "half-made");
        // An area name that is a link to a directory elsewhere is not ours to clean: nothing is followed.
        string victim = Path.Combine(_pool.Target + "-victim");
        Directory.CreateDirectory(victim);
        File.WriteAllText(Path.Combine(victim, "keep"), "k");
        File.CreateSymbolicLink(_pool.PathOf(p + $"{host}.999999998.{new string('b', 24)}"), victim);
        try
        {
            Assert.Empty(_pool.Host.Volumes.List("p"));
            string[] left = [p + $"{host}.999999998.{new string('b', 24)}", p + $"live.img.{host}.1", p + "remote.img.otherhost.999999999"];
            Assert.Equal(left.Order(), _pool.Entries());
            Assert.Equal("k", File.ReadAllText(Path.Combine(victim, "keep")));
            Assert.Contains("reserved", Fails(() => _pool.Create(p + "x.1", "1")));
        }
        finally { Directory.Delete(victim, recursive: true); }
    }

    [Fact]
    public void Resize_follows_libvirts_rules()
    {
        var v = _pool.Create("r.img", "1073741824", extra: "<allocation>0</allocation>");
        Assert.Equal(2UL << 30, _pool.Host.Volumes.Resize(v, 2UL << 30, VolumeResizeFlags.None));
        Assert.Equal(2UL << 30, FileSystem.Stat(_pool.PathOf("r.img")).Size);
        // "+1G" without --delta reaches the engine as an absolute 1 GiB: a shrink without the flag.
        Assert.Equal("invalid argument: Can't shrink capacity below current capacity unless shrink flag explicitly specified",
            Fails(() => _pool.Host.Volumes.Resize(v, 1UL << 30, VolumeResizeFlags.None)));
        Assert.Equal(1536UL << 20, _pool.Host.Volumes.Resize(v, 512UL << 20, VolumeResizeFlags.Delta | VolumeResizeFlags.Shrink));
        Assert.Equal(2UL << 30, _pool.Host.Volumes.Resize(v, 512UL << 20, VolumeResizeFlags.Delta));
        Assert.Equal(0UL, _pool.Host.Volumes.Resize(v, 4UL << 30, VolumeResizeFlags.Delta | VolumeResizeFlags.Shrink)); // clamped at 0

        var dense = _pool.Create("d.img", "1048576");
        Assert.Equal("invalid argument: can't shrink capacity below existing allocation",
            Fails(() => _pool.Host.Volumes.Resize(dense, 0, VolumeResizeFlags.Shrink)));
        _pool.Host.Volumes.Resize(dense, 4 * MiB, VolumeResizeFlags.Allocate);
        Assert.True(FileSystem.Stat(_pool.PathOf("d.img")).AllocatedBytes >= 4UL * MiB);
    }

    [Fact]
    public void Qcow2_resize_is_native_and_refuses_allocate_and_shrinking_over_data()
    {
        var q = _pool.Create("q.qcow2", "8388608", "qcow2");
        _pool.Host.Volumes.Resize(q, 16 * MiB, VolumeResizeFlags.None);
        Assert.Equal(16L * MiB, Qcow2Image.ReadHeaderInfo(_pool.PathOf("q.qcow2")).VirtualSize);
        Assert.Equal("Operation not supported: preallocate is only supported for raw type volume",
            Fails(() => _pool.Host.Volumes.Resize(q, 32 * MiB, VolumeResizeFlags.Allocate)));
        using (var image = Qcow2Image.Open(_pool.PathOf("q.qcow2"), writable: true)) { image.Write(12 * MiB, Pattern(4096, 4)); image.Flush(); }
        Assert.ThrowsAny<StorageException>(() => _pool.Host.Volumes.Resize(_pool.Volume("q.qcow2"), 4 * MiB, VolumeResizeFlags.Shrink));
        _pool.Host.Volumes.Resize(_pool.Volume("q.qcow2"), 14 * MiB, VolumeResizeFlags.Shrink);
        Assert.Equal(14L * MiB, Qcow2Image.ReadHeaderInfo(_pool.PathOf("q.qcow2")).VirtualSize);
    }

    [Fact]
    public void Upload_stays_inside_the_capacity_unless_allowed_to_grow()
    {
        var v = _pool.Create("u.img", "1048576", extra: "<allocation>0</allocation>");
        byte[] data = Pattern(MiB, 5);
        _pool.Host.Volumes.Upload(v, new MemoryStream(data), new TransferRange(0, 0, false));
        Assert.True(data.AsSpan().SequenceEqual(File.ReadAllBytes(_pool.PathOf("u.img"))));

        string error = Fails(() => _pool.Host.Volumes.Upload(v, new MemoryStream(data), new TransferRange(4096, 0, false)));
        Assert.Equal("invalid argument: upload of 1048576 bytes at offset 4096 exceeds the capacity of volume 'u.img' (1048576 bytes); resize the volume first", error);
        Assert.True(data.AsSpan().SequenceEqual(File.ReadAllBytes(_pool.PathOf("u.img"))));

        _pool.Host.Volumes.Upload(v, new MemoryStream(data), new TransferRange(4096, 0, false) { AllowGrow = true });
        Assert.Equal(MiB + 4096L, new FileInfo(_pool.PathOf("u.img")).Length);

        Assert.Equal("cannot write to stream: No space left on device",
            Fails(() => _pool.Host.Volumes.Upload(v, new MemoryStream(data), new TransferRange(0, 1000, false))));
    }

    [Fact]
    public void Sparse_upload_and_download_keep_holes()
    {
        var v = _pool.Create("h.img", "8388608", extra: "<allocation>8388608</allocation>");
        byte[] content = new byte[8 * MiB];
        Pattern(MiB, 6).CopyTo(content, 2 * MiB);
        _pool.Host.Volumes.Upload(v, new MemoryStream(content), new TransferRange(0, 0, true));
        Assert.True(FileSystem.Stat(_pool.PathOf("h.img")).AllocatedBytes <= 2UL * MiB);
        string outFile = Path.Combine(_pool.Target, "..", "download.bin");
        using (var fs = new FileStream(outFile, FileMode.Create))
            _pool.Host.Volumes.Download(_pool.Volume("h.img"), fs, new TransferRange(0, 0, true));
        Assert.True(content.AsSpan().SequenceEqual(File.ReadAllBytes(outFile)));
        Assert.True(FileSystem.Stat(outFile).AllocatedBytes <= 2UL * MiB);

        using var part = new MemoryStream();
        _pool.Host.Volumes.Download(_pool.Volume("h.img"), part, new TransferRange(2 * MiB, 4096, false));
        Assert.True(content.AsSpan(2 * MiB, 4096).SequenceEqual(part.ToArray()));
        Assert.StartsWith("invalid argument: offset 9999999999 is beyond the end",
            Fails(() => _pool.Host.Volumes.Download(_pool.Volume("h.img"), new MemoryStream(), new TransferRange(9999999999, 0, false))));
    }

    [Fact]
    public void Qcow2_download_returns_the_container_bytes()
    {
        _pool.Create("q.qcow2", "8388608", "qcow2");
        using var ms = new MemoryStream();
        _pool.Host.Volumes.Download(_pool.Volume("q.qcow2"), ms, new TransferRange(0, 0, false));
        Assert.True(File.ReadAllBytes(_pool.PathOf("q.qcow2")).AsSpan().SequenceEqual(ms.ToArray()));
    }

    [Fact]
    public void A_pattern_wipe_of_a_sparse_raw_volume_reaches_data_past_its_allocation()
    {
        // 2 MiB allocated, data at 5 MiB: libvirt's wipe of `allocation` bytes from 0 would leave it readable.
        string path = HalfHoleRaw("s.img");
        _pool.Host.Volumes.Wipe(_pool.Volume("s.img"), WipeAlgorithm.Dod);
        var content = File.ReadAllBytes(path);
        Assert.Equal(8 * MiB, content.Length);
        Assert.False(content.AsSpan(5 * MiB, MiB).SequenceEqual(Pattern(MiB, 2)));
        Assert.False(content.AsSpan(0, MiB).SequenceEqual(Pattern(MiB, 1)));
        // The wipe wrote the whole file: no hole (all zeros) is left where the data was.
        Assert.False(content.AsSpan(5 * MiB, MiB).ToArray().All(b => b == 0));
    }

    [Fact]
    public void Wipe_zeroes_raw_keeps_qcow2_valid_and_refuses_trim()
    {
        var r = _pool.Create("w.img", "1048576");
        File.WriteAllBytes(_pool.PathOf("w.img"), Pattern(MiB, 7));
        var calls = 0;
        _pool.Host.Volumes.Wipe(_pool.Volume("w.img"), WipeAlgorithm.Zero, (_, _) => calls++);
        Assert.DoesNotContain(File.ReadAllBytes(_pool.PathOf("w.img")), b => b != 0);
        Assert.True(calls > 0);
        Assert.Equal("argument unsupported: 'trim' algorithm not supported", Fails(() => _pool.Host.Volumes.Wipe(r, WipeAlgorithm.Trim)));

        var q = _pool.Create("w.qcow2", "8388608", "qcow2");
        using (var image = Qcow2Image.Open(_pool.PathOf("w.qcow2"), writable: true)) { image.Write(0, Pattern(MiB, 8)); image.Flush(); }
        _pool.Host.Volumes.Wipe(_pool.Volume("w.qcow2"), WipeAlgorithm.Zero);
        var wiped = _pool.Volume("w.qcow2").Volume;
        Assert.Equal("qcow2", wiped.Target.Format);
        Assert.Equal(8UL * MiB, wiped.Capacity);
        using var reopened = Qcow2Image.Open(_pool.PathOf("w.qcow2"), writable: false);
        Assert.DoesNotContain(reopened.GetExtents(), e => e.Kind == Qcow2ExtentKind.Data);
    }

    [Fact]
    public void Pattern_wipe_of_a_qcow2_overwrites_the_file_and_leaves_an_empty_qcow2()
    {
        _pool.Create("p.qcow2", "4194304", "qcow2' /><permissions><mode>0640</mode></permissions><format type='qcow2");
        byte[] secret = Pattern(MiB, 9);
        using (var image = Qcow2Image.Open(_pool.PathOf("p.qcow2"), writable: true)) { image.Write(MiB, secret); image.Flush(); }
        var calls = 0;
        _pool.Host.Volumes.Wipe(_pool.Volume("p.qcow2"), WipeAlgorithm.Random, (_, _) => calls++);
        Assert.True(calls > 0);
        var wiped = _pool.Volume("p.qcow2").Volume;
        Assert.Equal("qcow2", wiped.Target.Format);
        Assert.Equal(4UL * MiB, wiped.Capacity);
        Assert.Equal(0x1A0, wiped.Target.Permissions!.Mode);
        using var reopened = Qcow2Image.Open(_pool.PathOf("p.qcow2"), writable: false);
        Assert.DoesNotContain(reopened.GetExtents(), e => e.Kind == Qcow2ExtentKind.Data);
        Assert.Equal(-1, File.ReadAllBytes(_pool.PathOf("p.qcow2")).AsSpan().IndexOf(secret.AsSpan(0, 64)));
        Assert.Equal(["p.qcow2"], _pool.Entries());
    }

    [Fact]
    public void Key_and_path_lookups_only_match_entries_of_the_target_directory()
    {
        _pool.Create("k.img", "4096");
        Assert.Equal("k.img", _pool.Host.Lookup.VolumeByKey(_pool.PathOf("k.img")).Name);
        Assert.Equal("k.img", _pool.Host.Lookup.VolumeByPath(Path.Combine(_pool.Target, "..", "p", "k.img")).Name);
        string outside = Path.Combine(_pool.Target, "..", "outside.img");
        File.WriteAllBytes(outside, new byte[512]);
        Assert.Equal($"Storage volume not found: no storage vol with matching path '{outside}'", Fails(() => _pool.Host.Lookup.VolumeByPath(outside)));
        Assert.Equal("Storage volume not found: no storage vol with matching key k.img", Fails(() => _pool.Host.Lookup.VolumeByKey("k.img")));
        Assert.Equal("Requested operation is not valid: volume name 'a?b' cannot contain control characters",
            Fails(() => _pool.Create("a\tb", "1")));
    }

    [Fact]
    public void A_255_byte_name_still_builds_under_a_hidden_name()
    {
        string name = new('n', 255);
        _pool.Create(name, "4096", "qcow2");
        Assert.Equal([name], _pool.Entries());
        Assert.Equal("qcow2", _pool.Volume(name).Volume.Target.Format);
    }
}
