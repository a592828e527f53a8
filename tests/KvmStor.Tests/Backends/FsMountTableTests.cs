using KvmStor.Backends.Fs;

namespace KvmStor.Tests.Backends;

public sealed class FsMountTableTests : IDisposable
{
    private readonly FsScratch _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void ParsesFieldsAndDecodesOctalEscapes()
    {
        var table = MountTable.Parse("/dev/loop3 /srv/my\\040pool ext4 rw,nosuid 0 0\n\n# comment\nhost:/a\\134b /mnt\\011x nfs4 rw 0 0\n");
        Assert.Equal(
            [new MountEntry("/dev/loop3", "/srv/my pool", "ext4", "rw,nosuid"), new MountEntry("host:/a\\b", "/mnt\tx", "nfs4", "rw")],
            table.Entries);
    }

    [Fact]
    public void NamesThatAreNoPathsCompareAsText()
    {
        var table = MountTable.Parse("proc /proc proc rw 0 0\nnas:/export /mnt nfs rw 0 0\n");
        Assert.True(table.IsMounted("proc", "/proc"));
        Assert.True(table.IsMounted("nas:/export", "/mnt"));
        Assert.False(table.IsMounted("nas:/export/", "/mnt"));
        Assert.False(table.IsMounted("nas:/export", "/mnt/"));
    }

    [Fact]
    public void ATargetThatIsASymlinkIsResolved()
    {
        Directory.CreateDirectory(_dir.Target);
        string link = Path.Combine(_dir.Root, "link-to-pool");
        Directory.CreateSymbolicLink(link, _dir.Target);
        var table = MountTable.Parse($"{_dir.Device} {_dir.Target} ext4 rw 0 0\n");
        Assert.True(table.IsMounted(_dir.Device, link));
    }

    [Fact]
    public void FindsWhereADeviceIsMountedThroughALink()
    {
        string link = Path.Combine(_dir.Root, "disk-by-id");
        File.CreateSymbolicLink(link, _dir.Device);
        var table = MountTable.Parse($"proc /proc proc rw 0 0\n{_dir.Device} /srv/data xfs rw 0 0\n");
        Assert.Equal("/srv/data", table.FindDevice(link)?.MountPoint);
        Assert.Null(table.FindDevice("/dev/nothing-here"));
    }

    [Fact]
    public void AnUnreadableTableIsLibvirtsSystemError()
    {
        string missing = Path.Combine(_dir.Root, "no-mounts");
        var e = Assert.Throws<StorageException>(() => MountTable.Read(missing));
        Assert.Equal($"cannot read mount list '{missing}': No such file or directory", e.Display);
    }

    [Fact]
    public void ReadsThisHostsTable()
    {
        Assert.Contains(MountTable.Read().Entries, e => e.MountPoint == "/");
    }
}
