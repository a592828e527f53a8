using KvmStor.Backends.Fs;

namespace KvmStor.Tests.Backends;

/// <summary>Which fusectl connection belongs to a mount point (from mountinfo lines as this kernel writes them), and its abort.</summary>
public sealed class FsFuseConnectionTests : IDisposable
{
    private readonly FsScratch _dir = new();
    private string MountInfo => Path.Combine(_dir.Root, "mountinfo");
    private string Connections => Path.Combine(_dir.Root, "connections");

    public FsFuseConnectionTests()
    {
        File.WriteAllLines(MountInfo,
        [
            "27 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw",
            "98 27 0:53 / /srv/gluster\\040pool rw,relatime shared:60 - fuse.glusterfs 127.0.0.1:/gv0 rw,user_id=0,group_id=0,default_permissions,allow_other,max_read=131072",
            "99 27 0:54 / /mnt/fuse rw,relatime - fuse sshfs#x rw,user_id=0,group_id=0",
            "100 27 0:55 / /mnt/covered rw,relatime - fuse.glusterfs h:/v rw",
            "101 100 0:56 / /mnt/covered rw,relatime - tmpfs tmpfs rw",
        ]);
        Directory.CreateDirectory(Path.Combine(Connections, "53"));
        File.WriteAllText(Path.Combine(Connections, "53", "abort"), "");
    }

    public void Dispose() => _dir.Dispose();

    private FuseConnection Fuse => new(MountInfo, Connections);

    [Fact]
    public void AFuseMountIsNamedByItsDeviceNumber()
    {
        Assert.Equal("53", Fuse.ConnectionOf("/srv/gluster pool"));
        Assert.Equal("54", Fuse.ConnectionOf("/mnt/fuse"));
    }

    [Fact]
    public void OtherMountsHaveNoConnection()
    {
        Assert.Null(Fuse.ConnectionOf("/"));
        Assert.Null(Fuse.ConnectionOf("/srv/gluster"));
        Assert.Null(Fuse.ConnectionOf("/mnt/covered")); // the FUSE mount is hidden under a tmpfs: not ours to abort
    }

    [Fact]
    public void AbortWritesTheConnectionsAbortFile()
    {
        Assert.True(Fuse.TryAbort("/srv/gluster pool"));
        Assert.Equal("1", File.ReadAllText(Path.Combine(Connections, "53", "abort")));
    }

    [Fact]
    public void NoFuseMountOrNoConnectionIsNoAbort()
    {
        Assert.False(Fuse.TryAbort("/"));
        Assert.False(Fuse.TryAbort("/mnt/fuse")); // no 54 under the connections directory
        Assert.Equal("", File.ReadAllText(Path.Combine(Connections, "53", "abort")));
    }
}
