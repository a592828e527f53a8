using System.Net.Sockets;
using KvmStor.Host;
using KvmStor.Images;
using KvmStor.Model;

namespace KvmStor.Tests.Images;

/// <summary>libvirt's rules for what a dir pool lists, on real temp files.</summary>
public class VolumeFileProbeTests
{
    [Fact]
    public void RawFileUsesStatForSizes()
    {
        using var dir = new ImagesTempDirectory();
        string path = dir.File("disk.img");
        using (var fs = new FileStream(path, FileMode.CreateNew)) { fs.SetLength(10 << 20); fs.Write(new byte[8192]); }
        FileSystem.SetMode(path, 0x1A4); // 0644
        var p = VolumeFileProbe.TryProbe(path)!;
        var st = FileSystem.Stat(path);
        Assert.Equal(("raw", VolumeType.File, 10UL << 20, 10UL << 20), (p.Format, p.Type, p.Capacity, p.Physical!.Value));
        Assert.Equal(st.Blocks512 * 512, p.Allocation);

        var v = p.ToVolume();
        Assert.Equal(("disk.img", path, path), (v.Name, v.Key, v.Target.Path));
        Assert.Equal(0x1A4, v.Target.Permissions!.Mode);
        Assert.Equal(st.Modified.ToLibvirtString(), v.Target.Timestamps!.Mtime);
        Assert.Equal("0", v.Target.Timestamps.Btime);
        Assert.Null(v.Target.ClusterSize);
        Assert.Null(v.BackingStore);
    }

    [Fact]
    public void TimestampFormatsLikeLibvirt()
    {
        Assert.Equal("1795636479.000000012", new FileTimestamp(1795636479, 12).ToLibvirtString());
        Assert.Equal("1795636479", new FileTimestamp(1795636479, 0).ToLibvirtString());
    }

    [Fact]
    public void DirectoryIsADirVolumeWithoutSizes()
    {
        using var dir = new ImagesTempDirectory();
        string sub = dir.File("sub");
        Directory.CreateDirectory(sub);
        File.WriteAllBytes(Path.Combine(sub, "inside"), new byte[100000]);
        var v = VolumeFileProbe.TryProbe(sub)!.ToVolume();
        Assert.Equal((VolumeType.Dir, "dir", 0UL, 0UL), (v.Type!.Value, v.Target.Format, v.Capacity, v.Allocation));
        Assert.Null(v.Physical);
    }

    [Fact]
    public void PloopDirectoryTakesItsSizeFromRootHds()
    {
        using var dir = new ImagesTempDirectory();
        string ploop = dir.File("ct.ploop");
        Directory.CreateDirectory(ploop);
        File.WriteAllText(Path.Combine(ploop, "DiskDescriptor.xml"), "<Parallels_disk_image/>");
        byte[] hds = new byte[4096];
        "WithouFreSpacExt"u8.CopyTo(hds);
        BitConverter.GetBytes(4096UL).CopyTo(hds, 36); // sectors
        File.WriteAllBytes(Path.Combine(ploop, "root.hds"), hds);
        var p = VolumeFileProbe.TryProbe(ploop)!;
        Assert.Equal((VolumeType.Ploop, "ploop", 2UL << 20), (p.Type, p.Format, p.Capacity));
    }

    [Fact]
    public void SymlinksAreFollowedAndDanglingOnesSkipped()
    {
        using var dir = new ImagesTempDirectory();
        string real = dir.File("real.img");
        File.WriteAllBytes(real, new byte[1280]);
        File.CreateSymbolicLink(dir.File("link.img"), real);
        File.CreateSymbolicLink(dir.File("dangling.img"), dir.File("gone.img"));
        Assert.Equal(1280UL, VolumeFileProbe.TryProbe(dir.File("link.img"))!.Capacity);
        Assert.Null(VolumeFileProbe.TryProbe(dir.File("dangling.img")));
        Assert.Null(VolumeFileProbe.TryProbe(dir.File("never-existed.img")));
    }

    [Fact]
    public void FifosSocketsAndCharacterDevicesAreSkipped()
    {
        using var dir = new ImagesTempDirectory();
        string fifo = dir.File("pipe"), socket = dir.File("sock");
        Assert.Equal(0, System.Diagnostics.Process.Start("mkfifo", fifo)!.WaitForExitAndReturn());
        using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        s.Bind(new UnixDomainSocketEndPoint(socket));
        Assert.Equal(FileKind.Fifo, FileSystem.Stat(fifo).Kind);
        Assert.Equal(FileKind.Socket, FileSystem.Stat(socket).Kind);
        Assert.Null(VolumeFileProbe.TryProbe(fifo));
        Assert.Null(VolumeFileProbe.TryProbe(socket));
        Assert.Null(VolumeFileProbe.TryProbe("/dev/null"));
    }

    [Fact]
    public void RelativeBackingIsResolvedAndItsFormatProbedWhenTheHeaderLeavesItOpen()
    {
        using var dir = new ImagesTempDirectory();
        // A qcow2 v2 header naming "base.qed" with no backing-format extension.
        byte[] overlay = new byte[4096];
        new byte[] { (byte)'Q', (byte)'F', (byte)'I', 0xFB, 0, 0, 0, 2 }.CopyTo(overlay, 0);
        overlay[23] = 16;                                   // cluster_bits
        overlay[24 + 5] = 0x10;                             // size = 1 MiB
        overlay[8 + 6] = 0x02;                              // backing name @0x200
        overlay[16 + 3] = 8;                                // 8 bytes
        "base.qed"u8.CopyTo(overlay.AsSpan(0x200));
        File.WriteAllBytes(dir.File("top.qcow2"), overlay);

        var noBacking = VolumeFileProbe.TryProbe(dir.File("top.qcow2"))!.ToVolume();
        Assert.Equal((dir.File("base.qed"), "raw"), (noBacking.BackingStore!.Path!, noBacking.BackingStore.Format!));
        Assert.Null(noBacking.BackingStore.Permissions);

        byte[] qed = new byte[4096];
        "QED\0"u8.CopyTo(qed);
        File.WriteAllBytes(dir.File("base.qed"), qed);
        var withBacking = VolumeFileProbe.TryProbe(dir.File("top.qcow2"))!.ToVolume();
        Assert.Equal("qed", withBacking.BackingStore!.Format);
        Assert.NotNull(withBacking.BackingStore.Permissions);
        Assert.NotNull(withBacking.BackingStore.Timestamps);
        Assert.Equal(65536UL, withBacking.Target.ClusterSize);
        Assert.Null(withBacking.Target.Compat);   // libvirt prints no <compat> for version 2
        Assert.Null(withBacking.Target.Features);
    }
}

internal static class ProcessExtensions
{
    public static int WaitForExitAndReturn(this System.Diagnostics.Process p) { p.WaitForExit(); return p.ExitCode; }
}
