using KvmStor.Host;
using KvmStor.Model;
using Xunit;

namespace KvmStor.IntegrationTests;

/// <summary>
/// &lt;features&gt;&lt;cow state='no'/&gt; of dir pools and &lt;nocow/&gt; of volumes on a real btrfs (loop device), checked
/// with lsattr: the 'C' attribute is btrfs's NOCOW flag.
/// </summary>
public sealed class BtrfsNoCowTests : IDisposable
{
    private readonly FsPoolLoopDevice _disk = new();
    private readonly KvmStor.Engine.StorageHost _host;

    public BtrfsNoCowTests()
    {
        FsPoolLoopDevice.Run("mkfs.btrfs", "-q", "-f", _disk.Device);
        Directory.CreateDirectory(_disk.Target);
        FsPoolLoopDevice.Run("mount", "-t", "btrfs", _disk.Device, _disk.Target);
        _host = _disk.OpenHost();
    }

    public void Dispose() => _disk.Dispose();

    private string DefineDirPool(string name, string features = "")
    {
        string path = Path.Combine(_disk.Target, name);
        _host.Pools.Define($"<pool type='dir'><name>{name}</name>{features}<target><path>{path}</path></target></pool>");
        _host.Pools.Build(name, PoolBuildFlags.None);
        _host.Pools.Start(name, PoolBuildFlags.None);
        return path;
    }

    private static bool HasNoCowAttribute(string path)
    {
        // "---------------C------ /path": the attribute letters come before the name.
        string flags = FsPoolLoopDevice.Run("lsattr", "-d", path).Split(' ', 2)[0];
        return flags.Contains('C');
    }

    private void CreateVolume(string pool, string name, string format, string extra = "") =>
        _host.Volumes.Create(pool, $"<volume><name>{name}</name><capacity>8388608</capacity><target><format type='{format}'/>{extra}</target></volume>",
            VolumeCreateFlags.None);

    [Fact]
    public void A_pool_without_copy_on_write_marks_its_directory_and_every_new_volume_inherits_it()
    {
        string dir = DefineDirPool("nocow", "<features><cow state='no'/></features>");
        Assert.True(HasNoCowAttribute(dir));
        CreateVolume("nocow", "a.img", "raw");
        CreateVolume("nocow", "b.qcow2", "qcow2");
        Assert.True(HasNoCowAttribute(Path.Combine(dir, "a.img")));
        Assert.True(HasNoCowAttribute(Path.Combine(dir, "b.qcow2")));
    }

    [Fact]
    public void In_an_ordinary_pool_only_volumes_asking_for_nocow_get_it_and_the_qcow2_stays_valid()
    {
        string dir = DefineDirPool("plain");
        Assert.False(HasNoCowAttribute(dir));
        CreateVolume("plain", "cow.img", "raw");
        CreateVolume("plain", "nocow.img", "raw", "<nocow/>");
        CreateVolume("plain", "nocow.qcow2", "qcow2", "<nocow/>");
        Assert.False(HasNoCowAttribute(Path.Combine(dir, "cow.img")));
        Assert.True(HasNoCowAttribute(Path.Combine(dir, "nocow.img")));
        Assert.True(HasNoCowAttribute(Path.Combine(dir, "nocow.qcow2")));
        var check = new ProcessCommandRunner().Run(new CommandLine("qemu-img", "check", "-f", "qcow2", Path.Combine(dir, "nocow.qcow2")));
        Assert.True(check.ExitCode == 0, check.StandardOutput + check.StandardError);
        // The raw volume was reserved in full after the flag was set.
        Assert.True(FileSystem.Stat(Path.Combine(dir, "nocow.img")).AllocatedBytes >= 8UL << 20);
    }

    [Fact]
    public void Turning_copy_on_write_back_on_clears_the_attribute_at_build()
    {
        string dir = Path.Combine(_disk.Target, "again");
        Directory.CreateDirectory(dir);
        Assert.True(CopyOnWrite.Set(dir, copyOnWrite: false));
        Assert.True(HasNoCowAttribute(dir));
        DefineDirPool("again", "<features><cow state='yes'/></features>");
        Assert.False(HasNoCowAttribute(dir));
    }
}
