using System.Diagnostics;
using KvmStor.Backends;
using KvmStor.Engine;
using KvmStor.Host;
using KvmStor.Model;
using KvmStor.Tests.Backends;
using Xunit;

namespace KvmStor.Tests.Engine;

/// <summary>A volume another process holds open (as a running guest's qemu does) is not deleted, wiped or overwritten.</summary>
public sealed class OpenVolumeProtectionTests : IDisposable
{
    private readonly FileVolumeTestPool _pool = new();
    private int? _holder;

    public void Dispose()
    {
        if (_holder is { } pid)
            try { using var holder = Process.GetProcessById(pid); holder.Kill(); holder.WaitForExit(); }
            catch (ArgumentException) { } // already gone
        _pool.Dispose();
    }

    /// <summary>
    /// A `sleep` that holds the file open on fd 3 under another name, started in the background by a shell that then
    /// exits: not a child of this process, as a guest's qemu is not a child of kvmstor (children are kvmstor's own tools).
    /// </summary>
    private int HoldOpen(string path)
    {
        var start = new ProcessStartInfo("sh")
        {
            ArgumentList = { "-c", "exec 3<\"$1\"; sleep 60 </dev/null >/dev/null 2>&1 & echo $!", "sh", path },
            RedirectStandardOutput = true,
        };
        using var shell = Process.Start(start)!;
        int pid = int.Parse(shell.StandardOutput.ReadLine()!);
        shell.WaitForExit();
        _holder = pid;
        // The forked shell becomes `sleep` a moment later.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (File.ReadAllText($"/proc/{pid}/comm").Trim() != "sleep" && DateTime.UtcNow < deadline) Thread.Sleep(10);
        return pid;
    }

    [Fact]
    public void Delete_wipe_upload_and_shrink_name_the_process_and_force_overrides()
    {
        _pool.Create("busy.img", (4 * FileVolumeTestPool.MiB).ToString());
        // Held through a symlink: the match is by file, not by name.
        string alias = Path.Combine(_pool.Target, "..", "alias-of-busy");
        File.CreateSymbolicLink(alias, _pool.PathOf("busy.img"));
        int pid = HoldOpen(alias);
        Assert.Contains(OpenFileHolders.Find(_pool.PathOf("busy.img")), h => h.Pid == pid && h.Command == "sleep");

        var volume = _pool.Volume("busy.img");
        string expected = $"operation forbidden: storage volume 'busy.img' is open in process {pid} (sleep); use --force to override";
        Assert.Equal(expected, Assert.Throws<StorageException>(() => _pool.Host.Volumes.Delete(volume, VolumeDeleteFlags.None)).Display);
        Assert.Equal(expected, Assert.Throws<StorageException>(() => _pool.Host.Volumes.Wipe(volume, KvmStor.Model.WipeAlgorithm.Zero)).Display);
        Assert.Equal(expected, Assert.Throws<StorageException>(() =>
            _pool.Host.Volumes.Upload(volume, new MemoryStream(new byte[512]), new TransferRange(0, 0, false))).Display);
        Assert.Equal(expected, Assert.Throws<StorageException>(() =>
            _pool.Host.Volumes.Resize(volume, FileVolumeTestPool.MiB, VolumeResizeFlags.Shrink)).Display);
        // Growing cannot hurt the holder, so it is allowed.
        _pool.Host.Volumes.Resize(volume, 8UL * FileVolumeTestPool.MiB, VolumeResizeFlags.None);
        Assert.True(File.Exists(_pool.PathOf("busy.img")));

        _pool.Host.Volumes.Delete(_pool.Volume("busy.img"), VolumeDeleteFlags.None, force: true);
        Assert.False(File.Exists(_pool.PathOf("busy.img")));
    }

    /// <summary>
    /// A process seen holding the volume that is gone before its parent and name are read (one of kvmstor's own parted
    /// runs ending during parallel deletes: a busy-host CI run refused a delete for "process 23229 (?)") holds nothing.
    /// A /proc of the test's own: one process that still exists, one that ended after its fd was read.
    /// </summary>
    [Fact]
    public void A_process_that_ends_while_it_is_looked_at_is_not_a_holder()
    {
        _pool.Create("seen.img", FileVolumeTestPool.MiB.ToString());
        string proc = Path.Combine(_pool.Target, "..", "proc");
        foreach (int pid in new[] { 2_000_001, 2_000_002 })
        {
            Directory.CreateDirectory(Path.Combine(proc, pid.ToString(), "fd"));
            File.CreateSymbolicLink(Path.Combine(proc, pid.ToString(), "fd", "3"), _pool.PathOf("seen.img"));
        }
        File.WriteAllText(Path.Combine(proc, "2000001", "stat"), "2000001 (qemu-system-x86) S 1 2000001 2000001 0 -1\n");
        File.WriteAllText(Path.Combine(proc, "2000001", "comm"), "qemu-system-x86\n");

        var holder = Assert.Single(OpenFileHolders.Find(_pool.PathOf("seen.img"), proc));
        Assert.Equal(new OpenFileHolder(2_000_001, "qemu-system-x86"), holder);
    }

    [Fact]
    public void A_volume_nobody_holds_is_deleted_as_before()
    {
        _pool.Create("free.img", FileVolumeTestPool.MiB.ToString());
        Assert.Empty(OpenFileHolders.Find(_pool.PathOf("free.img")));
        _pool.Host.Volumes.Delete(_pool.Volume("free.img"), VolumeDeleteFlags.None);
        Assert.False(File.Exists(_pool.PathOf("free.img")));
    }
}
