using System.Text.RegularExpressions;
using KvmStor.Backends.Fs;
using KvmStor.Host;
using KvmStor.Model;
using KvmStor.Xml;

namespace KvmStor.IntegrationTests;

/// <summary>
/// fs pools on real loop devices through the engine: mkfs, mount, statvfs, umount, for real. vfat is formatted
/// only: this kernel has no vfat module, so a vfat pool cannot be mounted here.
/// </summary>
public sealed class FsPoolLifecycleTests
{
    [Theory]
    [InlineData("ext4")]
    [InlineData("xfs")]
    public void DefineBuildStartRefreshDestroyOverwriteDelete(string format)
    {
        using var loop = new FsPoolLoopDevice();
        using var host = loop.OpenHost();
        host.Pools.Define(loop.PoolXml(format));

        // --no-overwrite on an empty device formats it (libvirt's probe finds nothing, so mkfs runs).
        Assert.Null(loop.FileSystemType());
        host.Pools.Build("fs1", PoolBuildFlags.NoOverwrite);
        Assert.Equal(format, loop.FileSystemType());
        Assert.True(Directory.Exists(loop.Target));

        // …and on a formatted one refuses, with libvirt's text.
        var e = Assert.Throws<StorageException>(() => host.Pools.Build("fs1", PoolBuildFlags.NoOverwrite));
        Assert.Equal($"Storage pool already built: Device '{loop.Device}' already formatted using '{format}'", e.Display);

        // Source discovery (beyond libvirt) offers the freshly formatted device with its filesystem.
        Assert.Contains($"    <device path='{loop.Device}'/>\n    <format type='{format}'/>\n", host.Pools.FindSources("fs", null));

        host.Pools.Start("fs1", PoolBuildFlags.None);
        var mount = loop.TargetMount();
        Assert.NotNull(mount);
        Assert.Equal(loop.Device, mount.Source);
        Assert.Equal(format, mount.FileSystemType);
        Assert.Superset(new HashSet<string> { "nodev", "nosuid", "noexec" }, mount.Options.Split(',').ToHashSet());
        Assert.True(new FsPoolBackend(new ProcessCommandRunner()).CheckActive(KvmStor.Xml.PoolXml.Parse(loop.PoolXml(format))));

        // Refresh sizes come from the mounted filesystem.
        File.WriteAllBytes(Path.Combine(loop.Target, "data.img"), new byte[8 << 20]);
        host.Pools.Refresh("fs1");
        var info = host.Pools.Info("fs1");
        var usage = FileSystem.StatVfs(loop.Target);
        Assert.Equal(usage.TotalBytes, info.Capacity);
        Assert.InRange(info.Capacity, 400UL << 20, 512UL << 20);
        Assert.Equal(info.Capacity - info.Available, info.Allocation);
        Assert.True(info.Allocation >= 8UL << 20);

        // Volumes behave as in a dir pool (the same code): a native qcow2 on the mounted filesystem passes qemu-img check,
        // and a file written there directly is a volume at once.
        host.Volumes.Create("fs1", "<volume><name>q.qcow2</name><capacity>67108864</capacity><target><format type='qcow2'/></target></volume>",
            VolumeCreateFlags.None);
        var check = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("qemu-img", ["check", Path.Combine(loop.Target, "q.qcow2")])
            { RedirectStandardOutput = true, RedirectStandardError = true })!;
        check.WaitForExit();
        Assert.Equal(0, check.ExitCode);
        Assert.Contains("data.img", host.Volumes.List("fs1").Select(v => v.Name));
        host.Volumes.Delete(host.Lookup.VolumeByName("fs1", "q.qcow2"), VolumeDeleteFlags.None);
        Assert.False(File.Exists(Path.Combine(loop.Target, "q.qcow2")));

        host.Pools.Destroy("fs1");
        Assert.Null(loop.TargetMount());
        Assert.False(host.Pools.Info("fs1").Active);

        // --overwrite makes a new filesystem without asking.
        string before = loop.FileSystemUuid();
        host.Pools.Build("fs1", PoolBuildFlags.Overwrite);
        Assert.Equal(format, loop.FileSystemType());
        Assert.NotEqual(before, loop.FileSystemUuid());

        host.Pools.Delete("fs1");
        Assert.False(Directory.Exists(loop.Target));
        host.Pools.Undefine("fs1");
    }

    [Fact]
    public void APlainBuildNeverFormats()
    {
        using var loop = new FsPoolLoopDevice();
        using var host = loop.OpenHost();
        host.Pools.Define(loop.PoolXml("ext4"));
        host.Pools.Build("fs1", PoolBuildFlags.None);
        Assert.True(Directory.Exists(loop.Target));
        Assert.Null(loop.FileSystemType());
    }

    [Fact]
    public void NoOverwriteRefusesADifferentFilesystem()
    {
        using var loop = new FsPoolLoopDevice();
        FsPoolLoopDevice.Run("mkfs.ext4", "-q", loop.Device);
        using var host = loop.OpenHost();
        host.Pools.Define(loop.PoolXml("xfs"));
        var e = Assert.Throws<StorageException>(() => host.Pools.Build("fs1", PoolBuildFlags.NoOverwrite));
        Assert.Equal($"Storage pool already built: Format of device '{loop.Device}' does not match the expected format 'xfs', forced overwrite is necessary",
            e.Display);
        Assert.Equal("ext4", loop.FileSystemType());
    }

    [Fact]
    public void AMountedDeviceIsNeverFormattedEvenWithOverwrite()
    {
        using var loop = new FsPoolLoopDevice();
        using var host = loop.OpenHost();
        host.Pools.Define(loop.PoolXml("ext4"));
        host.Pools.Start("fs1", PoolBuildFlags.Build | PoolBuildFlags.NoOverwrite);
        string uuid = loop.FileSystemUuid();

        // Another pool definition over the same device (the engine would refuse it as a source conflict; the backend refuses too).
        var other = PoolXml.Parse(loop.PoolXml("ext4", "other", Path.Combine(loop.Root, "other")));
        var e = Assert.Throws<StorageException>(() => new FsPoolBackend(new ProcessCommandRunner()).Build(other, PoolBuildFlags.Overwrite));
        Assert.Equal($"Requested operation is not valid: Device '{loop.Device}' is mounted on '{loop.Target}'; unmount it before formatting", e.Display);
        Assert.Equal(uuid, loop.FileSystemUuid());
        host.Pools.Destroy("fs1");
    }

    [Fact]
    public void VfatIsFormattedWithMkfsDashI()
    {
        using var loop = new FsPoolLoopDevice();
        using var host = loop.OpenHost();
        host.Pools.Define(loop.PoolXml("vfat"));
        host.Pools.Build("fs1", PoolBuildFlags.Overwrite);
        Assert.Equal("vfat", loop.FileSystemType());
    }

    [Fact]
    public void DumpXmlOfARunningXfsPoolHasLibvirtsShape()
    {
        using var loop = new FsPoolLoopDevice();
        using var host = loop.OpenHost();
        host.Pools.Define(loop.PoolXml("xfs", "reffs", "/tmp/" + Path.GetFileName(loop.Root) + "-reffs"));
        string target = "/tmp/" + Path.GetFileName(loop.Root) + "-reffs";
        try
        {
            host.Pools.Start("reffs", PoolBuildFlags.Build | PoolBuildFlags.Overwrite);
            string ours = host.Pools.GetXml("reffs", inactive: false);
            string golden = File.ReadAllText(Path.Combine(ImagesTestSupport.Libvirt90Outputs, "pool-fs-xfs-loop.dumpxml.xml"));
            Assert.Equal(Normalize(golden, "/dev/loop0", "/var/lib/libvirt/ref-pools/reffs"), Normalize(ours, loop.Device, target));
            host.Pools.Destroy("reffs");
        }
        finally
        {
            if (MountTable.Read().Entries.Any(e => e.MountPoint == target)) FsPoolLoopDevice.Run("umount", target);
            if (Directory.Exists(target)) Directory.Delete(target);
        }
    }

    /// <summary>Replaces what differs between two hosts (uuid, sizes, device and target paths) by placeholders.</summary>
    private static string Normalize(string xml, string device, string target)
    {
        xml = Regex.Replace(xml, "<uuid>[^<]*</uuid>", "<uuid>U</uuid>");
        xml = Regex.Replace(xml, "(<(capacity|allocation|available) unit='bytes'>)[0-9]+<", "${1}N<");
        // The captured file is virsh's output, which adds a blank line after the document.
        return xml.Replace(device, "DEVICE").Replace(target, "TARGET").TrimEnd('\n') + "\n";
    }
}
