using KvmStor.Images.Qcow2;
using KvmStor.Backends;
using KvmStor.Model;

namespace KvmStor.Tests.Backends;

/// <summary>
/// A volume's format is a recorded fact: what kvmstor created it as, or what it probed the first time it saw a file
/// it did not make. Bytes written into a volume later (by a guest) never change it.
/// </summary>
public sealed class RecordedVolumeFormatTests : IDisposable
{
    private readonly FileVolumeTestPool _pool = new();

    public void Dispose() => _pool.Dispose();

    /// <summary>Writes a qcow2 header naming <paramref name="backing"/> over the start of an existing file, as a guest could.</summary>
    private static void WriteQcow2HeaderInto(string path, string backing, long size)
    {
        string header = path + ".hdr";
        Qcow2Image.Create(header, new Qcow2CreateOptions { VirtualSize = size, BackingFile = backing, BackingFormat = "raw" });
        byte[] bytes = File.ReadAllBytes(header);
        File.Delete(header);
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Write);
        RandomAccess.Write(file, bytes.AsSpan(0, Math.Min(bytes.Length, 4096)), 0);
    }

    [Fact]
    public void A_raw_volume_stays_raw_whatever_is_written_into_it()
    {
        _pool.Create("r.img", (4 * FileVolumeTestPool.MiB).ToString());
        WriteQcow2HeaderInto(_pool.PathOf("r.img"), "/etc/shadow", 1L << 40);

        var v = _pool.Volume("r.img").Volume;
        Assert.Equal(("raw", 4UL << 20), (v.Target.Format, v.Capacity));
        Assert.Null(v.BackingStore);
        Assert.All(_pool.Host.Volumes.List("p"), l => Assert.Equal("raw", l.Target.Format));
        Assert.DoesNotContain("shadow", _pool.Host.Volumes.GetXml(_pool.Volume("r.img")));

        // A second host object (a later command, after a restart) reads the same record.
        using var again = new KvmStor.Engine.StorageHost(_pool.Host.Paths, KvmStor.Backends.BackendRegistry.CreateDefault());
        Assert.Equal("raw", again.Lookup.VolumeByName("p", "r.img").Volume.Target.Format);
    }

    [Fact]
    public void A_file_seen_for_the_first_time_keeps_the_format_it_was_probed_as()
    {
        Qcow2Image.Create(_pool.PathOf("made-elsewhere.qcow2"), new Qcow2CreateOptions { VirtualSize = 8 << 20 });
        Assert.Equal("qcow2", _pool.Volume("made-elsewhere.qcow2").Volume.Target.Format);

        // Overwritten in place (same inode) with raw bytes: still the qcow2 it was first seen as, sized by its file.
        File.WriteAllBytes(_pool.PathOf("made-elsewhere.qcow2"), new byte[65536]);
        var v = _pool.Volume("made-elsewhere.qcow2").Volume;
        Assert.Equal(("qcow2", 65536UL), (v.Target.Format, v.Capacity));
    }

    [Fact]
    public void A_new_file_under_an_old_name_is_a_new_file_and_deleting_a_volume_drops_its_record()
    {
        _pool.Create("v.img", "1048576");
        _pool.Host.Volumes.Delete(_pool.Volume("v.img"), VolumeDeleteFlags.None);
        Assert.Empty(Records());

        _pool.Create("w.img", "1048576");
        // Moved away behind kvmstor's back (so its inode stays in use), then made anew by someone else.
        File.Move(_pool.PathOf("w.img"), _pool.PathOf("w.old"));
        Qcow2Image.Create(_pool.PathOf("w.img"), new Qcow2CreateOptions { VirtualSize = 2 << 20 });
        Assert.Equal("qcow2", _pool.Volume("w.img").Volume.Target.Format);
        Assert.Equal("raw", _pool.Volume("w.old").Volume.Target.Format);
        Assert.Equal(2, Records().Length);
    }

    [Fact]
    public void Iso_volumes_keep_the_format_they_were_created_with()
    {
        _pool.Create("boot.iso", "1048576", "iso");
        Assert.Equal("iso", _pool.Volume("boot.iso").Volume.Target.Format);
    }

    [Fact]
    public void Records_are_root_only_and_go_with_the_pool()
    {
        _pool.Create("a.qcow2", "1048576", "qcow2");
        string directory = _pool.Host.Paths.VolumeFormatsDirectory;
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(directory));
        Assert.All(Directory.GetFiles(directory), f => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f)));
        Assert.Contains(" qcow2 a.qcow2", Records().Single());

        _pool.Host.Volumes.Delete(_pool.Volume("a.qcow2"), VolumeDeleteFlags.None);
        _pool.Create("b.img", "1048576");
        _pool.Host.Volumes.Delete(_pool.Volume("b.img"), VolumeDeleteFlags.None);
        _pool.Host.Pools.Destroy("p");
        _pool.Host.Pools.Delete("p");
        Assert.Empty(Directory.GetFileSystemEntries(directory)); // no file per pool or per name is left behind
    }

    /// <summary>The records on disk, one per volume: a record is appended as a line, and a later line for a name replaces an earlier one.</summary>
    private string[] Records() =>
        Directory.Exists(_pool.Host.Paths.VolumeFormatsDirectory)
            ? Directory.GetFiles(_pool.Host.Paths.VolumeFormatsDirectory).SelectMany(File.ReadAllLines)
                .GroupBy(line => line.Split(' ', 4)[3]).Select(lines => lines.Last()).ToArray()
            : [];
}
